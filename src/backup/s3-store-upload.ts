import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand,
  PutObjectCommand, UploadPartCommand, type CompletedPart, type S3Client,
} from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';

/**
 * The size of each multipart part. S3 allows 10,000 parts, so a stream of
 * unknown size can reach 16 MiB × 10,000 = 156.25 GiB. Two parts are in
 * flight and one is being filled, so an upload buffers about 48 MiB.
 */
export const partSize = 16 * 1024 * 1024;

/** The maximum number of parts in one S3 multipart upload. */
const maxParts = 10_000;

/** Parts uploaded at the same time. */
const partConcurrency = 2;

/** The destination of an upload, and hooks that record a multipart upload while it is open. */
export interface UploadTarget {
  client: S3Client;
  bucket: string;
  /** The full object key, with the repository prefix. */
  key: string;
  /** Called after CreateMultipartUpload, before any part is sent. */
  onStarted(uploadId: string): Promise<void>;
  /** Called after the upload completed or was aborted. */
  onFinished(uploadId: string): Promise<void>;
}

/**
 * Uploads `source` to `target.key`: a stream that fits in one part with one
 * PutObject, a longer one as a multipart upload with a SHA-256 checksum per
 * part. A failed multipart upload is aborted. Returns the bytes written.
 */
export async function uploadStream(
  target: UploadTarget, source: Readable, signal?: AbortSignal, size = partSize,
): Promise<number> {
  const parts = readParts(source, size);
  try {
    const first = await parts.next();
    const second = first.done ? first : await parts.next();
    if (second.done) {
      const body = first.done ? Buffer.alloc(0) : first.value;
      await putBuffer(target, body, signal);
      return body.length;
    }
    return await uploadParts(target, [first.value, second.value], parts, signal);
  } finally {
    // Closing the generator destroys the source, so a producer that writes
    // into it fails instead of waiting forever for a reader.
    await parts.return(undefined);
  }
}

async function uploadParts(
  target: UploadTarget, buffered: Buffer[], rest: AsyncGenerator<Buffer>, signal?: AbortSignal,
): Promise<number> {
  const created = await target.client.send(new CreateMultipartUploadCommand({
    Bucket: target.bucket, Key: target.key, ChecksumAlgorithm: 'SHA256',
  }), { abortSignal: signal });
  const uploadId = created.UploadId;
  if (uploadId === undefined) throw new Error(`S3 returned no upload id for ${target.key}`);
  try {
    await target.onStarted(uploadId);
    const total = await sendParts(target, uploadId, buffered, rest, signal);
    await target.onFinished(uploadId);
    return total;
  } catch (error) {
    // The upload record may remain when the server is gone, so the next run aborts it.
    await abortUpload(target, uploadId).catch(() => undefined);
    throw error;
  }
}

/** Writes one object from a buffer with a SHA-256 checksum. */
export async function putBuffer(
  target: Pick<UploadTarget, 'client' | 'bucket' | 'key'>, body: Buffer, signal?: AbortSignal,
): Promise<void> {
  await target.client.send(new PutObjectCommand({
    Bucket: target.bucket, Key: target.key, Body: body, ChecksumAlgorithm: 'SHA256',
  }), { abortSignal: signal });
}

async function sendParts(
  target: UploadTarget, uploadId: string, buffered: Buffer[],
  rest: AsyncGenerator<Buffer>, signal?: AbortSignal,
): Promise<number> {
  const completed: CompletedPart[] = [];
  const inFlight: Promise<void>[] = [];
  let total = 0;
  let number = 0;
  const send = (body: Buffer) => {
    number += 1;
    if (number > maxParts) {
      throw new Error(`the stream for ${target.key} exceeds ${maxParts} parts of `
        + `${body.length} bytes, the most one S3 multipart upload can hold`);
    }
    const partNumber = number;
    total += body.length;
    const sending = target.client.send(new UploadPartCommand({
      Bucket: target.bucket, Key: target.key, UploadId: uploadId, PartNumber: partNumber,
      Body: body, ChecksumAlgorithm: 'SHA256',
    }), { abortSignal: signal }).then((response) => {
      completed.push({ PartNumber: partNumber, ETag: response.ETag,
        ChecksumSHA256: response.ChecksumSHA256 });
    });
    // A rejection is observed when the promise is awaited below.
    sending.catch(() => {});
    inFlight.push(sending);
  };
  try {
    for (const body of buffered) send(body);
    for await (const body of rest) {
      if (inFlight.length >= partConcurrency) await inFlight.shift();
      send(body);
    }
  } finally {
    await Promise.allSettled(inFlight);
  }
  await Promise.all(inFlight);
  completed.sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
  await target.client.send(new CompleteMultipartUploadCommand({
    Bucket: target.bucket, Key: target.key, UploadId: uploadId,
    MultipartUpload: { Parts: completed },
  }), { abortSignal: signal });
  return total;
}

/**
 * Aborts a multipart upload. A server without AbortMultipartUpload (s3rver
 * 3.7.1 returns MethodNotAllowed) or an upload that is already gone is not
 * an error, because the caller still removes its own record of the upload.
 */
export async function abortUpload(
  target: Pick<UploadTarget, 'client' | 'bucket' | 'key' | 'onFinished'>, uploadId: string,
): Promise<void> {
  try {
    await target.client.send(new AbortMultipartUploadCommand({
      Bucket: target.bucket, Key: target.key, UploadId: uploadId,
    }));
  } catch (error) {
    const name = (error as Error).name;
    if (!['NoSuchUpload', 'MethodNotAllowed', 'NotImplemented'].includes(name)) throw error;
  }
  await target.onFinished(uploadId);
}

/** Yields the stream's bytes in buffers of exactly `size` bytes, and the rest last. */
async function* readParts(source: Readable, size: number): AsyncGenerator<Buffer> {
  let chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of source as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    length += chunk.length;
    while (length >= size) {
      const joined = Buffer.concat(chunks, length);
      yield joined.subarray(0, size);
      chunks = [joined.subarray(size)];
      length -= size;
    }
  }
  if (length > 0) yield Buffer.concat(chunks, length);
}
