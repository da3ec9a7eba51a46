/* The explorer's latent plane (views/explorer.js): its grid and, when given,
 * the encoded digits as dots, painted into a 2-D context of size x size
 * device pixels. No DOM: the demo's worker (worker.js) paints the dots, whose
 * thousands of antialiased arcs would be a long raster on the page thread at
 * the engine's next commit (80 ms there in Chromium). */
export const LABEL_COLOURS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

/* {size, range, dims, panel, grid (colours), dpr, points: {mu, labels, n, L} or null} */
export function paintPlane(ctx, { size, range: R, dims: [dx, dy], panel, grid, dpr, points }) {
  const px = (v) => ((v / R + 1) / 2) * size;
  ctx.fillStyle = panel;
  ctx.fillRect(0, 0, size, size);
  ctx.strokeStyle = grid;
  ctx.lineWidth = dpr;
  for (let v = -Math.floor(R); v <= R; v++) {
    ctx.beginPath();
    ctx.moveTo(px(v), 0), ctx.lineTo(px(v), size), ctx.moveTo(0, px(v)), ctx.lineTo(size, px(v));
    ctx.stroke();
  }
  if (!points) return;
  const { mu, labels, n, L } = points, r = 1.6 * dpr;
  ctx.globalAlpha = 0.7;
  for (let i = 0; i < n; i++) {
    ctx.fillStyle = LABEL_COLOURS[labels[i] % 10];
    ctx.beginPath();
    ctx.arc(px(mu[i * L + dx]), size - px(mu[i * L + dy]), r, 0, 2 * Math.PI);
    ctx.fill();
  }
  ctx.globalAlpha = 1;
}
