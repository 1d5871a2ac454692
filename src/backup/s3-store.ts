import {
  DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand,
  ListMultipartUploadsCommand, ListObjectsV2Command, S3Client,
} from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { SrekitError } from '../common/errors.js';
import { abortUpload, putBuffer, uploadStream, type UploadTarget } from './s3-store-upload.js';
import type { ByteRange, PartialUpload, Store, StoredObject } from './store.js';

/** The bucket and key prefix of an `s3://bucket/prefix` repository. */
export interface S3Location {
  bucket: string;
  /** Empty, or a prefix ending in `/`. */
  prefix: string;
}

/** Parses `s3://bucket/prefix`, where the prefix may be empty. */
export function parseS3Location(url: string): S3Location {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  const bucket = match?.[1] ?? '';
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new SrekitError('USAGE', `invalid S3 repository ${url}: expected s3://BUCKET/PREFIX `
      + 'with a bucket name of 3 to 63 lowercase letters, digits, dots or hyphens');
  }
  const path = (match?.[2] ?? '').replace(/\/+$/, '');
  return { bucket, prefix: path === '' ? '' : `${path}/` };
}

/**
 * Builds an S3 client from AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL,
 * AWS_REGION (us-east-1 when unset) and the SDK's usual credential chain.
 * With an endpoint, buckets are addressed by path, as MinIO and s3rver need.
 */
export function clientFromEnvironment(env: NodeJS.ProcessEnv = process.env): S3Client {
  const endpoint = env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
  return new S3Client({
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    ...(endpoint === undefined ? {} : { endpoint, forcePathStyle: true }),
  });
}

/** The key prefix of the records of open multipart uploads, inside the repository prefix. */
const uploadRecordPrefix = 'uploads/';

/** A record of an open multipart upload, stored while the upload runs. */
interface UploadRecord {
  key: string;
  uploadId: string;
}

/**
 * A {@link Store} in an S3 bucket under a key prefix. Each object is written
 * by one PutObject or one multipart upload, which S3 makes visible only when
 * it completes, so readers never see a partial object. An open multipart
 * upload is recorded in an `uploads/` object, because S3-compatible servers
 * such as s3rver 3.7.1 lack ListMultipartUploads. The partial uploads are
 * these records plus what ListMultipartUploads returns where it exists.
 */
export class S3Store implements Store {
  readonly location: string;
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(url: string, private readonly client: S3Client = clientFromEnvironment()) {
    const { bucket, prefix } = parseS3Location(url);
    this.bucket = bucket;
    this.prefix = prefix;
    this.location = `s3://${bucket}/${prefix}`;
  }

  /** Returns true when the bucket exists; throws BACKUP_NO_REPOSITORY when it does not. */
  async exists(): Promise<boolean> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
      return true;
    } catch (error) {
      throw this.describeError(error, '', true);
    }
  }

  /** Checks that the bucket exists; srekit never creates buckets. */
  async create(): Promise<void> {
    await this.exists();
  }

  async put(key: string, source: Readable | Buffer, signal?: AbortSignal): Promise<number> {
    const target = this.uploadTarget(key);
    try {
      if (!Buffer.isBuffer(source)) return await uploadStream(target, source, signal);
      await putBuffer(target, source, signal);
      return source.length;
    } catch (error) {
      throw this.describeError(error, key);
    }
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    try {
      const response = await this.client.send(new GetObjectCommand({
        Bucket: this.bucket, Key: this.prefix + key,
        Range: range === undefined ? undefined : `bytes=${range.start}-${range.end}`,
      }));
      if (!(response.Body instanceof Readable)) throw new Error(`S3 returned no body for ${key}`);
      return response.Body;
    } catch (error) {
      throw this.describeError(error, key);
    }
  }

  async stat(key: string): Promise<StoredObject | undefined> {
    try {
      const head = await this.client.send(new HeadObjectCommand({
        Bucket: this.bucket, Key: this.prefix + key,
      }));
      return { key, size: head.ContentLength ?? 0 };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw this.describeError(error, key);
    }
  }

  async list(prefix: string): Promise<StoredObject[]> {
    const objects: StoredObject[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({
        Bucket: this.bucket, Prefix: this.prefix + prefix, ContinuationToken: token,
      })).catch((error: unknown) => { throw this.describeError(error, prefix); });
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined) continue;
        objects.push({ key: object.Key.slice(this.prefix.length), size: object.Size ?? 0 });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return objects.sort((a, b) => a.key.localeCompare(b.key));
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({
        Bucket: this.bucket, Key: this.prefix + key,
      }));
    } catch (error) {
      throw this.describeError(error, key);
    }
  }

  async listPartial(prefix: string): Promise<PartialUpload[]> {
    const found = new Map<string, PartialUpload>();
    for (const object of await this.list(uploadRecordPrefix)) {
      const record = await this.readUploadRecord(object.key);
      if (record?.key.startsWith(prefix)) {
        found.set(record.uploadId, { key: record.key, handle: record.uploadId });
      }
    }
    for (const upload of await this.listServerUploads(prefix)) found.set(upload.handle, upload);
    return [...found.values()];
  }

  async removePartial(upload: PartialUpload): Promise<void> {
    await abortUpload(this.uploadTarget(upload.key), upload.handle)
      .catch((error: unknown) => { throw this.describeError(error, upload.key); });
  }

  private uploadTarget(key: string): UploadTarget {
    const recordKey = (uploadId: string) => `${uploadRecordPrefix}${uploadId}.json`;
    return {
      client: this.client,
      bucket: this.bucket,
      key: this.prefix + key,
      onStarted: async (uploadId) => {
        const record: UploadRecord = { key, uploadId };
        await putBuffer({ client: this.client, bucket: this.bucket,
          key: this.prefix + recordKey(uploadId) }, Buffer.from(JSON.stringify(record)));
      },
      onFinished: (uploadId) => this.delete(recordKey(uploadId)),
    };
  }

  private async readUploadRecord(key: string): Promise<UploadRecord | undefined> {
    try {
      const parsed = JSON.parse((await buffer(await this.get(key))).toString('utf8')) as unknown;
      const record = parsed as Partial<UploadRecord>;
      if (typeof record.key !== 'string' || typeof record.uploadId !== 'string') return undefined;
      return { key: record.key, uploadId: record.uploadId };
    } catch {
      // A record that vanished or cannot be parsed names no upload to abort.
      return undefined;
    }
  }

  /** Lists open multipart uploads with ListMultipartUploads, or none where the server lacks it. */
  private async listServerUploads(prefix: string): Promise<PartialUpload[]> {
    try {
      const response = await this.client.send(new ListMultipartUploadsCommand({
        Bucket: this.bucket, Prefix: this.prefix + prefix,
      }));
      return (response.Uploads ?? []).flatMap((upload) => (
        upload.Key === undefined || upload.UploadId === undefined ? []
          : [{ key: upload.Key.slice(this.prefix.length), handle: upload.UploadId }]));
    } catch (error) {
      if (['NotImplemented', 'MethodNotAllowed'].includes((error as Error).name)) return [];
      throw this.describeError(error, prefix);
    }
  }

  /**
   * Turns an SDK error into ENOENT, BACKUP_NO_REPOSITORY or a message naming
   * the object. `bucketCheck` marks a HeadBucket, whose 404 means no bucket.
   */
  private describeError(error: unknown, key: string, bucketCheck = false): unknown {
    if (error instanceof SrekitError || !(error instanceof Error)) return error;
    if (error.name === 'AbortError') return error;
    const name = error.name;
    if (name === 'NoSuchBucket' || (bucketCheck && isNotFound(error))) {
      return new SrekitError('BACKUP_NO_REPOSITORY', `S3 bucket ${this.bucket} does not exist `
        + `(repository ${this.location})`, {
        hint: 'create the bucket first, and check AWS_ENDPOINT_URL and AWS_REGION',
      });
    }
    if (name === 'NoSuchKey' || isNotFound(error)) {
      return Object.assign(new Error(`${this.location}${key} does not exist`), { code: 'ENOENT' });
    }
    const status = httpStatusOf(error);
    // A HEAD response has no body, so the SDK has no message, only the status.
    const detail = error.message === '' || error.message === 'UnknownError'
      ? '' : `: ${error.message}`;
    const next = status === 403 ? '; check the AWS credentials and the bucket policy' : '';
    return new Error(`S3 request for ${this.location}${key} failed: ${name}`
      + `${status === undefined ? '' : ` (HTTP ${status})`}${detail}${next}`, { cause: error });
  }
}

function httpStatusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

function isNotFound(error: unknown): boolean {
  return (error as Error).name === 'NotFound' || httpStatusOf(error) === 404;
}
