import type { Readable } from 'node:stream';

/** One object in a {@link Store}. */
export interface StoredObject {
  /** The key, with `/` between its parts, such as `snapshots/ID.json`. */
  key: string;
  size: number;
}

/** An upload that started but never committed, such as a temporary file. */
export interface PartialUpload {
  /** The key the upload was going to create. */
  key: string;
  /** The store's own name for the upload, passed back to {@link Store.removePartial}. */
  handle: string;
}

/** A byte range, both ends included, as in an HTTP Range header. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * The place where a backup repository keeps its objects. Writes are atomic:
 * after `put` resolves the object is complete and durable, and while it runs
 * or after it fails no reader sees a partial object under `key`. A
 * directory is the store now; an S3 bucket implements the same interface.
 */
export interface Store {
  /** A description for messages, such as the directory path or an s3:// URL. */
  readonly location: string;

  /** Returns true when the store's root exists. */
  exists(): Promise<boolean>;

  /** Creates the store's root; fails when it cannot be created. */
  create(): Promise<void>;

  /** Writes `source` under `key` atomically and returns the number of bytes written. */
  put(key: string, source: Readable | Buffer, signal?: AbortSignal): Promise<number>;

  /** Opens the object `key`, or the bytes of `range` within it; fails with ENOENT when missing. */
  get(key: string, range?: ByteRange): Promise<Readable>;

  /** Returns the object's size, or undefined when it does not exist. */
  stat(key: string): Promise<StoredObject | undefined>;

  /** Lists the committed objects whose keys start with `prefix`. */
  list(prefix: string): Promise<StoredObject[]>;

  /** Deletes `key`; deleting a missing object is not an error. */
  delete(key: string): Promise<void>;

  /** Lists uploads under `prefix` that started but never committed. */
  listPartial(prefix: string): Promise<PartialUpload[]>;

  /** Removes one partial upload returned by {@link listPartial}. */
  removePartial(upload: PartialUpload): Promise<void>;
}
