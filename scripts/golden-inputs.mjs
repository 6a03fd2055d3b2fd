import sharp from 'sharp';

/** The input photo of a template kind's golden: overlays get a crop around sample3's largest face. */
export async function goldenInput(kind, sample3) {
  if (kind !== 'overlay') return sample3;
  return sharp(sample3).extract({ left: 385, top: 130, width: 600, height: 600 }).jpeg({ quality: 95 }).toBuffer();
}
