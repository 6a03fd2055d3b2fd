import type * as TF from '@tensorflow/tfjs';

type Tfjs = typeof import('@tensorflow/tfjs');
type T4 = TF.Tensor4D;

/**
 * face-api 1.7.15's feature extractor of the 68-point landmark net (FaceFeatureExtractor.forwardInput
 * of @vladmandic/face-api, MIT, src/faceFeatureExtractor/), the same ops in the same order except
 * one: face-api subtracts the mean colour as a [N, 112, 112, 3] tensor built by concatenating three
 * fills along the channel axis, which tfjs-wasm's JavaScript concat copies one value at a time
 * (37,632 copies per face: 4–5 ms of each landmark pass, and a close-up runs one to three).
 * Here the mean broadcasts from a [3] tensor: the same subtraction per value, so the output is
 * bit-identical (landmarks-lean.test.ts).
 */
interface ConvParams { filters: T4; bias: TF.Tensor1D }
interface SeparableConvParams { depthwise_filter: T4; pointwise_filter: T4; bias: TF.Tensor1D }
interface DenseBlock4Params { conv0: ConvParams | SeparableConvParams; conv1: SeparableConvParams; conv2: SeparableConvParams; conv3: SeparableConvParams }
interface FeatureExtractorParams { dense0: DenseBlock4Params; dense1: DenseBlock4Params; dense2: DenseBlock4Params; dense3: DenseBlock4Params }

/** face-api's NetInput, as far as the extractor uses it. */
export interface LandmarkNetInput { toBatchTensor(inputSize: number, isCenterInputs?: boolean): T4 }

export interface LandmarkNet {
  readonly faceFeatureExtractor: { readonly params: FeatureExtractorParams | undefined; forwardInput(input: LandmarkNetInput): T4 };
}

const MEAN_RGB = [122.782, 117.001, 104.298];

const installed = new WeakSet<LandmarkNet>();

/** Replaces the landmark net's feature extractor pass with the lean one (once per net: face-api's nets are module singletons). */
export function installLeanLandmarks(net: LandmarkNet, tf: Tfjs): void {
  if (installed.has(net)) return;
  installed.add(net);
  const extractor = net.faceFeatureExtractor;
  // Kept: lives as long as the model, even when installed inside a caller's tidy.
  const mean = tf.keep(tf.tensor1d(MEAN_RGB, 'float32'));
  extractor.forwardInput = (input) => {
    const params = extractor.params;
    if (!params) throw new Error('FaceFeatureExtractor - load model before inference');
    return tf.tidy(() => {
      const batch = tf.cast(input.toBatchTensor(112, true), 'float32');
      const normalized = tf.div(tf.sub(batch, mean), 255) as T4;
      let out = denseBlock4(tf, normalized, params.dense0, true);
      out = denseBlock4(tf, out, params.dense1);
      out = denseBlock4(tf, out, params.dense2);
      out = denseBlock4(tf, out, params.dense3);
      return tf.avgPool(out, [7, 7], [2, 2], 'valid');
    });
  };
}

function separable(tf: Tfjs, x: T4, p: SeparableConvParams, stride: [number, number]): T4 {
  return tf.tidy(() => tf.add(tf.separableConv2d(x, p.depthwise_filter, p.pointwise_filter, stride, 'same'), p.bias));
}

function denseBlock4(tf: Tfjs, x: T4, p: DenseBlock4Params, isFirstLayer = false): T4 {
  return tf.tidy(() => {
    const out1 = tf.relu(isFirstLayer
      ? tf.add(tf.conv2d(x, (p.conv0 as ConvParams).filters, [2, 2], 'same'), p.conv0.bias)
      : separable(tf, x, p.conv0 as SeparableConvParams, [2, 2])) as T4;
    const out2 = separable(tf, out1, p.conv1, [1, 1]);
    const in3 = tf.relu(tf.add(out1, out2)) as T4;
    const out3 = separable(tf, in3, p.conv2, [1, 1]);
    const in4 = tf.relu(tf.add(out1, tf.add(out2, out3))) as T4;
    const out4 = separable(tf, in4, p.conv3, [1, 1]);
    return tf.relu(tf.add(out1, tf.add(out2, tf.add(out3, out4)))) as T4;
  });
}
