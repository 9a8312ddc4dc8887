// Branding from configuration, shared by the pages and the mail: product name,
// logo, accent colour, support address. The accent is the operator's choice, so
// the text drawn on it is chosen here to keep WCAG 2.2 AA contrast (4.5:1).
import type { LatchkeyConfig } from './config.ts';

export interface Brand {
  productName: string;
  logoUrl: string | null;
  /** #rrggbb, validated by the config schema. */
  accentColor: string;
  /** White or near-black, whichever reads better on the accent. */
  accentTextColor: string;
  supportEmail: string | null;
}

function channel(value: number): number {
  const c = value / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}

/** WCAG relative luminance of #rrggbb. */
export function luminance(hex: string): number {
  const n = Number.parseInt(hex.slice(1), 16);
  return 0.2126 * channel((n >> 16) & 255) + 0.7152 * channel((n >> 8) & 255) + 0.0722 * channel(n & 255);
}

export function contrastRatio(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

const LIGHT_TEXT = '#ffffff';
const DARK_TEXT = '#111827';

export function textColorOn(background: string): string {
  return contrastRatio(background, LIGHT_TEXT) >= contrastRatio(background, DARK_TEXT) ? LIGHT_TEXT : DARK_TEXT;
}

export function brandFromConfig(config: Pick<LatchkeyConfig, 'productName' | 'logoUrl' | 'accentColor' | 'supportEmail'>): Brand {
  return {
    productName: config.productName,
    logoUrl: config.logoUrl,
    accentColor: config.accentColor,
    accentTextColor: textColorOn(config.accentColor),
    supportEmail: config.supportEmail,
  };
}

/** The built-in look, for previews and library users who pass no options. */
export const DEFAULT_BRAND: Brand = brandFromConfig({ productName: 'Latchkey', logoUrl: null, accentColor: '#4f46e5', supportEmail: null });
