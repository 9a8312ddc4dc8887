// The site icon (issue #12: /favicon.ico was a 404 on every page, a console error
// in every browser): a keyhole on the configured accent colour, as SVG, which
// every current browser takes as a favicon. Served as /auth/assets/icon.svg
// (linked from every page) and as /favicon.ico for whatever asks for that.
import type { Brand } from '../branding.ts';

export function iconSvg(brand: Pick<Brand, 'accentColor' | 'accentTextColor'>): string {
  // Both colours were validated as #rrggbb by the config schema; checked again, as they go into markup.
  for (const colour of [brand.accentColor, brand.accentTextColor]) {
    if (!/^#[0-9a-f]{6}$/i.test(colour)) throw new Error('icon colours must be #rrggbb');
  }
  return [
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32" width="32" height="32">',
    `<rect width="32" height="32" rx="7" fill="${brand.accentColor}"/>`,
    `<circle cx="16" cy="13" r="5" fill="${brand.accentTextColor}"/>`,
    `<path d="M13.5 16h5l1.5 9h-8z" fill="${brand.accentTextColor}"/>`,
    '</svg>',
    '',
  ].join('');
}
