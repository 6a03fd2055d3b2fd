import type * as TF from '@tensorflow/tfjs';
import { cropImage } from './heap-image.js';

type Tfjs = typeof import('@tensorflow/tfjs');

/**
 * face-api 1.7.15's SSD MobileNet v1 forward pass (src/ssdMobilenetv1/*.ts of @vladmandic/face-api,
 * MIT), with two changes that bound the memory it needs:
 * - each MobileNet layer's input is disposed as soon as the layer's output exists. face-api runs all
 *   27 layers inside one tf.tidy, so every layer output of the 512 × 512 pass stays alive until
 *   the end (139 MB of tensors at the peak), and the tfjs-wasm heap, which never shrinks, grew to
 *   207 MB in every worker;
 * - each layer's convolution, bias (batch norm) and ReLU6 run as one fused kernel, so a layer makes
 *   one output tensor instead of three (the depthwise batch norm is folded into filter and bias).
 * Tensors alive at the peak: 53 MB; wasm heap: 133 MB. The fused kernels round differently in the
 * last bits: boxes and scores stay within 1e-5 of face-api's own pass (ssd-lean.test.ts).
 */
type T4 = TF.Tensor4D;
interface Pointwise { filters: T4; batch_norm_offset: TF.Tensor1D }
interface Depthwise {
  filters: T4; batch_norm_scale: TF.Tensor1D; batch_norm_offset: TF.Tensor1D;
  batch_norm_mean: TF.Tensor1D; batch_norm_variance: TF.Tensor1D;
}
interface Conv { filters: T4; bias: TF.Tensor1D }
interface BoxPredictor { box_encoding_predictor: Conv; class_predictor: Conv }
type Indexed<P, N extends number> = { [K in `conv_${N}`]: P };
export interface SsdParams {
  mobilenetv1: Indexed<Pointwise, 0> & Indexed<{ depthwise_conv: Depthwise; pointwise_conv: Pointwise }, 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 | 11 | 12 | 13>;
  prediction_layer: Indexed<Pointwise, 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7> & { [K in `box_predictor_${0 | 1 | 2 | 3 | 4 | 5}`]: BoxPredictor };
  output_layer: { extra_dim: TF.Tensor3D };
}

/** face-api's NetInput, as far as the forward pass uses it. */
export interface SsdNetInput { toBatchTensor(inputSize: number, isCenterInputs?: boolean): T4 }

export interface SsdNet {
  readonly params: SsdParams | undefined;
  forwardInput(input: SsdNetInput): { boxes: TF.Tensor2D[]; scores: TF.Tensor1D[] };
}

const EPSILON = 0.0010000000474974513;

/** SSD's own input size: the size it was trained at, and the size of the anchors stored with its weights. */
export const SSD_TRAINED_SIZE = 512;

export interface LeanSsd {
  /** Input size of the following passes (a multiple of 32; 512 is face-api's own). */
  setInputSize(size: number): void;
  /**
   * The part of the square input that holds the image (fractions of its height and width, from the
   * top left; the rest is zero padding), for the following passes; 1, 1 (the default) is the whole square.
   */
  setExtent(height: number, width: number): void;
}

/**
 * The rows × cols of the `size` px square input that SSD runs on, for an image covering the given
 * fractions of it: the image rounded up to a multiple of 32 (SSD's largest stride before its
 * extra layers). SSD then spends no convolutions on the padding beyond that: a 3:2 photo runs on
 * 512 × 352 instead of 512 × 512, about two thirds of the work. Its two finest feature maps (the
 * small faces of group photos) keep the square pass's cells, minus those over padding.
 */
export function ssdRegion(size: number, height: number, width: number): { rows: number; cols: number } {
  const round = (f: number): number => Math.min(size, Math.max(32, Math.ceil((f * size - 1e-6) / 32) * 32));
  return { rows: round(height), cols: round(width) };
}

/**
 * Replaces `net.forwardInput` (used by face-api's locateFaces) with the lean pass, at 512 px
 * unless `setInputSize` picks another size (face-api reads the size back from the NetInput).
 */
const installed = new WeakMap<SsdNet, LeanSsd>();

export function installLeanSsd(net: SsdNet, tf: Tfjs): LeanSsd {
  // face-api's nets are module singletons: several model sets in one thread (tests, the bench's
  // floor) share one net, so they share one installation and its input size.
  const existing = installed.get(net);
  if (existing) return existing;
  let inputSize = SSD_TRAINED_SIZE;
  let extent = { height: 1, width: 1 };
  // One anchor set per input grid met so far (at most ~16 rectangles per orientation and size, 80 kB each).
  const anchorsByGrid = new Map<string, TF.Tensor3D>();
  net.forwardInput = (input) => {
    const params = net.params;
    if (!params) throw new Error('SsdMobilenetv1 - load model before inference');
    const size = inputSize;
    const { rows, cols } = ssdRegion(size, extent.height, extent.width);
    const key = `${size}:${rows}x${cols}`;
    let anchors = anchorsByGrid.get(key);
    if (!anchors) {
      const stored = params.output_layer.extra_dim;
      anchors = size === SSD_TRAINED_SIZE && rows === size && cols === size ? stored : tf.keep(anchorsForSize(tf, stored, size, rows, cols));
      anchorsByGrid.set(key, anchors);
    }
    const x = tf.tidy(() => {
      // The rectangle is cut from the square face-api makes (padded, resized to `size`), so the
      // pixels SSD sees are exactly the square pass's; the full square is disposed with the tidy.
      let batch = tf.cast(input.toBatchTensor(size, false), 'float32') as T4;
      if (rows < size || cols < size) batch = cropImage(tf, batch, { x: 0, y: 0, width: cols, height: rows });
      return tf.sub(tf.div(batch, 127.5), 1) as T4;
    });
    const { out, conv11 } = mobileNetV1(tf, x, params.mobilenetv1);
    try {
      return tf.tidy(() => {
        const { boxPredictions, classPredictions } = predictionLayer(tf, out, conv11, params.prediction_layer);
        return outputLayer(tf, boxPredictions, classPredictions, { extra_dim: anchors });
      });
    } finally {
      out.dispose();
      conv11.dispose();
    }
  };
  const lean: LeanSsd = {
    setInputSize(size: number): void {
      if (!Number.isInteger(size) || size % 32 !== 0 || size < 128 || size > SSD_TRAINED_SIZE) throw new Error(`SSD input size ${size}: a multiple of 32 in 128–512`);
      inputSize = size;
    },
    setExtent(height: number, width: number): void {
      if (!(height > 0 && height <= 1 && width > 0 && width <= 1)) throw new Error(`SSD extent ${height} × ${width}: fractions in (0, 1]`);
      extent = { height, width };
    },
  };
  installed.set(net, lean);
  return lean;
}

/**
 * face-api ships SSD's anchors for 512 px only (5118 of them: 32², 16², 8², 4², 2², 1² cells).
 * At another input size the feature maps have other grids (ceil of the size over each stride), so
 * the anchors are regenerated: the same per-cell shapes, centred on the new grid, with sizes
 * scaled by 512 / size — the net predicts boxes relative to anchors of a fixed size in pixels, so a
 * smaller input needs anchors that are a larger fraction of it (else boxes come out size/512 too small).
 * On a rows × cols rectangle cut from the top left of the square (ssdRegion), each map has
 * ceil(rows / stride) × ceil(cols / stride) cells, centred evenly over the rectangle, and the anchors
 * stay fractions of the square, so boxes decode to the square's coordinates as before. Where the
 * strides divide the rectangle (the 16 and 32 px maps) the cells are the square's own.
 * Stored format: [y1, x1, y2, x2] as fractions of the input, cells row-major, anchors within a cell.
 */
export function anchorsForSize(tf: Tfjs, stored: TF.Tensor3D, size: number, rows = size, cols = size): TF.Tensor3D {
  const data = stored.dataSync();
  const out: number[] = [];
  let offset = 0;
  let trained = SSD_TRAINED_SIZE / 16;
  let gridY = Math.ceil(rows / 16);
  let gridX = Math.ceil(cols / 16);
  const scale = SSD_TRAINED_SIZE / size;
  for (let layer = 0; layer < 6; layer++) {
    const perCell = layer === 0 ? 3 : 6;
    for (let y = 0; y < gridY; y++) {
      for (let x = 0; x < gridX; x++) {
        for (let k = 0; k < perCell; k++) {
          const a = (offset + k) * 4;
          const h = (data[a + 2]! - data[a]!) * scale;
          const w = (data[a + 3]! - data[a + 1]!) * scale;
          const cy = ((y + 0.5) / gridY) * (rows / size);
          const cx = ((x + 0.5) / gridX) * (cols / size);
          out.push(cy - h / 2, cx - w / 2, cy + h / 2, cx + w / 2);
        }
      }
    }
    offset += trained * trained * perCell;
    trained = Math.ceil(trained / 2);
    gridY = Math.ceil(gridY / 2);
    gridX = Math.ceil(gridX / 2);
  }
  return tf.tensor3d(out, [1, out.length / 4, 4]);
}

function pointwiseConvLayer(tf: Tfjs, x: T4, p: Pointwise, strides: [number, number]): T4 {
  return tf.fused.conv2d({ x, filter: p.filters, strides, pad: 'same', bias: p.batch_norm_offset, activation: 'relu6' });
}

/**
 * The depthwise layer's batch norm folded into the filter and a bias, computed once per layer:
 * (dw(x) − mean) · scale / √(var + ε) + offset = dw'(x) + bias, with dw' = dw · k, k = scale / √(var + ε).
 */
const folded = new WeakMap<Depthwise, { filter: T4; bias: TF.Tensor1D }>();
function depthwiseConvLayer(tf: Tfjs, x: T4, p: Depthwise, strides: [number, number]): T4 {
  let f = folded.get(p);
  if (!f) {
    f = tf.tidy(() => {
      const k = tf.div(p.batch_norm_scale, tf.sqrt(tf.add(p.batch_norm_variance, EPSILON)));
      // Kept: they live as long as the model, even when the first pass runs inside a caller's tidy.
      return { filter: tf.keep(tf.mul(p.filters, tf.reshape(k, [1, 1, -1, 1])) as T4),
        bias: tf.keep(tf.sub(p.batch_norm_offset, tf.mul(p.batch_norm_mean, k)) as TF.Tensor1D) };
    });
    folded.set(p, f);
  }
  return tf.fused.depthwiseConv2d({ x, filter: f.filter, strides, pad: 'same', bias: f.bias, activation: 'relu6' });
}

/** Disposes `x` (the normalised input) and every layer output except the two it returns (all of them if it throws). */
function mobileNetV1(tf: Tfjs, x: T4, params: SsdParams['mobilenetv1']): { out: T4; conv11: T4 } {
  let out: T4 | undefined;
  let conv11: T4 | undefined;
  try {
    out = pointwiseConvLayer(tf, x, params.conv_0, [2, 2]);
    for (let layer = 1; layer <= 13; layer++) {
      const p = params[`conv_${layer as 1}`];
      const strides: [number, number] = [2, 4, 6, 12].includes(layer) ? [2, 2] : [1, 1];
      const depthwise = depthwiseConvLayer(tf, out, p.depthwise_conv, strides);
      if (out !== conv11) out.dispose();
      out = undefined;
      try {
        out = pointwiseConvLayer(tf, depthwise, p.pointwise_conv, [1, 1]);
      } finally {
        depthwise.dispose();
      }
      if (layer === 11) conv11 = out;
    }
    return { out, conv11: conv11! };
  } catch (error) {
    out?.dispose();
    conv11?.dispose();
    throw error;
  } finally {
    x.dispose();
  }
}

function convLayer(tf: Tfjs, x: T4, p: Conv): T4 {
  return tf.tidy(() => tf.add(tf.conv2d(x, p.filters, [1, 1], 'same'), p.bias));
}

function boxPredictionLayer(tf: Tfjs, x: T4, p: BoxPredictor): { encoding: TF.Tensor; classes: TF.Tensor } {
  return tf.tidy(() => ({
    encoding: tf.reshape(convLayer(tf, x, p.box_encoding_predictor), [x.shape[0], -1, 1, 4]),
    classes: tf.reshape(convLayer(tf, x, p.class_predictor), [x.shape[0], -1, 3]),
  }));
}

function predictionLayer(tf: Tfjs, x: T4, conv11: T4, p: SsdParams['prediction_layer']): { boxPredictions: T4; classPredictions: T4 } {
  const conv0 = pointwiseConvLayer(tf, x, p.conv_0, [1, 1]);
  const conv1 = pointwiseConvLayer(tf, conv0, p.conv_1, [2, 2]);
  const conv2 = pointwiseConvLayer(tf, conv1, p.conv_2, [1, 1]);
  const conv3 = pointwiseConvLayer(tf, conv2, p.conv_3, [2, 2]);
  const conv4 = pointwiseConvLayer(tf, conv3, p.conv_4, [1, 1]);
  const conv5 = pointwiseConvLayer(tf, conv4, p.conv_5, [2, 2]);
  const conv6 = pointwiseConvLayer(tf, conv5, p.conv_6, [1, 1]);
  const conv7 = pointwiseConvLayer(tf, conv6, p.conv_7, [2, 2]);
  const predictions = [
    boxPredictionLayer(tf, conv11, p.box_predictor_0),
    boxPredictionLayer(tf, x, p.box_predictor_1),
    boxPredictionLayer(tf, conv1, p.box_predictor_2),
    boxPredictionLayer(tf, conv3, p.box_predictor_3),
    boxPredictionLayer(tf, conv5, p.box_predictor_4),
    boxPredictionLayer(tf, conv7, p.box_predictor_5),
  ];
  return {
    boxPredictions: tf.concat(predictions.map((b) => b.encoding), 1) as T4,
    classPredictions: tf.concat(predictions.map((b) => b.classes), 1) as T4,
  };
}

function decodeBoxesLayer(tf: Tfjs, x0: TF.Tensor2D, x1: TF.Tensor2D): TF.Tensor {
  const anchors = tf.unstack(tf.transpose(x0, [1, 0]));
  const sizes = [tf.sub(anchors[2]!, anchors[0]!), tf.sub(anchors[3]!, anchors[1]!)] as const;
  const centers = [tf.add(anchors[0]!, tf.div(sizes[0], 2)), tf.add(anchors[1]!, tf.div(sizes[1], 2))] as const;
  const vec = tf.unstack(tf.transpose(x1, [1, 0]));
  const div0 = tf.div(tf.mul(tf.exp(tf.div(vec[2]!, 5)), sizes[0]), 2);
  const add0 = tf.add(tf.mul(tf.div(vec[0]!, 10), sizes[0]), centers[0]);
  const div1 = tf.div(tf.mul(tf.exp(tf.div(vec[3]!, 5)), sizes[1]), 2);
  const add1 = tf.add(tf.mul(tf.div(vec[1]!, 10), sizes[1]), centers[1]);
  return tf.transpose(tf.stack([tf.sub(add0, div0), tf.sub(add1, div1), tf.add(add0, div0), tf.add(add1, div1)]), [1, 0]);
}

function outputLayer(tf: Tfjs, boxPredictions: T4, classPredictions: T4, p: SsdParams['output_layer']): { boxes: TF.Tensor2D[]; scores: TF.Tensor1D[] } {
  const batchSize = boxPredictions.shape[0];
  let boxes = decodeBoxesLayer(tf,
    tf.reshape(tf.tile(p.extra_dim, [batchSize, 1, 1]), [-1, 4]),
    tf.reshape(boxPredictions, [-1, 4]));
  boxes = tf.reshape(boxes, [batchSize, boxes.shape[0]! / batchSize, 4]);
  const scoresAndClasses = tf.sigmoid(tf.slice(classPredictions, [0, 0, 1], [-1, -1, -1]));
  let scores: TF.Tensor = tf.slice(scoresAndClasses, [0, 0, 0], [-1, -1, 1]);
  scores = tf.reshape(scores, [batchSize, scores.shape[1]!]);
  return { boxes: tf.unstack(boxes) as TF.Tensor2D[], scores: tf.unstack(scores) as TF.Tensor1D[] };
}
