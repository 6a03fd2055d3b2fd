import type * as TF from '@tensorflow/tfjs';

type Tfjs = typeof import('@tensorflow/tfjs');

/*
 * Image tensors made and cut inside tfjs-wasm's heap, where the heap wipe (wasm-heap-wipe.ts)
 * zeroes them on dispose: no copy of the photo is left in a JavaScript buffer, and none is made.
 * On other backends (tfjs-node) the same results come from tf's own ops.
 */

/** A crop in whole pixels, inside the image. */
export interface PixelBox { readonly x: number; readonly y: number; readonly width: number; readonly height: number }

/** tfjs-backend-wasm's view of a tensor's memory in the wasm heap (no copy). */
interface HeapViews { typedArrayFromHeap(t: TF.TensorInfo): Float32Array | Int32Array | Uint8Array }

function heapViews(backend: unknown): HeapViews | undefined {
  return typeof (backend as Partial<HeapViews> | null)?.typedArrayFromHeap === 'function' ? backend as HeapViews : undefined;
}

/**
 * tf.slice of an image ([H, W, C], or [1, H, W, C]) to `box`: the same values and dtype.
 * On wasm the rows are copied inside the wasm heap. tfjs-wasm 4.22's own slice kernel is
 * JavaScript: it first copies the whole input out of the heap (readSync) into a JS buffer that
 * the heap wipe never reaches, then copies the crop one pixel at a time (stridedSlice falls back
 * to it; gather, and cropAndResize's nearest mode, which ignores x1, are no better). The landmark
 * crops cut that way cost a close-up detect about 17 ms and left a copy of the photo behind.
 */
export function cropImage<T extends TF.Tensor3D | TF.Tensor4D>(tf: Tfjs, image: T, box: PixelBox): T {
  const batched = image.rank === 4;
  const [height, width, channels] = (batched ? image.shape.slice(1) : image.shape) as [number, number, number];
  const { x, y, width: w, height: h } = box;
  if (!(Number.isInteger(x) && Number.isInteger(y) && Number.isInteger(w) && Number.isInteger(h) && x >= 0 && y >= 0 && w > 0 && h > 0 && x + w <= width && y + h <= height)) {
    throw new RangeError(`crop ${w} × ${h} at (${x}, ${y}) is not whole pixels inside ${width} × ${height}`);
  }
  const shape: number[] = batched ? [1, h, w, channels] : [h, w, channels];
  const views = heapViews(tf.backend());
  if (!views) return tf.slice(image, batched ? [0, y, x, 0] : [y, x, 0], shape) as T;
  // fill is a kernel writing the heap; tf.zeros would build the zeros in a JS array and copy them in.
  const out = tf.fill(shape as [number, number, number], 0, image.dtype) as T;
  // Views taken after the allocation: growing the wasm memory replaces its buffer.
  const from = views.typedArrayFromHeap(image);
  const to = views.typedArrayFromHeap(out);
  const row = w * channels;
  for (let r = 0; r < h; r++) {
    const start = ((y + r) * width + x) * channels;
    to.set(from.subarray(start, start + row), r * row);
  }
  return out;
}

/**
 * RGB `pixels` (width × height) as an int32 [side, side, 3] tensor, zero-padded at the bottom and
 * right, exactly as face-api pads before SSD's resize (so coordinates are unchanged). On wasm the
 * pixels are converted straight into the tensor's heap memory (no JS copy to make and zero, and
 * about 7 ms less than the element-by-element copy it replaces); elsewhere through an owned int32
 * copy that is zeroed at once.
 */
export function paddedImage(tf: Tfjs, pixels: Uint8Array, width: number, height: number, side: number): TF.Tensor3D {
  if (side < width || side < height || pixels.length < width * height * 3) throw new RangeError(`${width} × ${height} pixels do not fit a ${side} px square`);
  const row = width * 3;
  const views = heapViews(tf.backend());
  if (views) {
    const image = tf.fill([side, side, 3], 0, 'int32') as TF.Tensor3D;
    const to = views.typedArrayFromHeap(image);
    for (let y = 0; y < height; y++) to.set(pixels.subarray(y * row, y * row + row), y * side * 3);
    return image;
  }
  const ints = new Int32Array(side * side * 3);
  for (let y = 0; y < height; y++) ints.set(pixels.subarray(y * row, y * row + row), y * side * 3);
  // A backend may keep the array itself as the tensor's data (cpu does): an op copies it into
  // the backend's own memory first, so the owned copy can be zeroed at once.
  const shared = tf.tensor3d(ints, [side, side, 3], 'int32');
  try {
    return tf.tidy(() => tf.add(shared, tf.scalar(0, 'int32')));
  } finally {
    shared.dispose();
    ints.fill(0);
  }
}
