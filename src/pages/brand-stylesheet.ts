// /auth/assets/brand.css: the configured accent as CSS variables, with text and
// link colours chosen to keep WCAG AA contrast in light and dark mode.
import { contrastRatio, type Brand } from '../branding.ts';

const LIGHT_CARD = '#ffffff';
const DARK_CARD = '#1f2937';

export function brandStylesheet(brand: Brand): string {
  // The colour was validated as #rrggbb by the config schema, so it is safe in CSS.
  if (!/^#[0-9a-f]{6}$/i.test(brand.accentColor)) throw new Error('accent colour must be #rrggbb');
  const linkLight = contrastRatio(brand.accentColor, LIGHT_CARD) >= 4.5 ? brand.accentColor : '#1d4ed8';
  const linkDark = contrastRatio(brand.accentColor, DARK_CARD) >= 4.5 ? brand.accentColor : '#93c5fd';
  return [
    `:root { --accent: ${brand.accentColor}; --on-accent: ${brand.accentTextColor}; --link: ${linkLight}; }`,
    `@media (prefers-color-scheme: dark) { :root { --link: ${linkDark}; } }`,
    '',
  ].join('\n');
}
