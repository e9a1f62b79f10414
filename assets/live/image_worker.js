// Paints and encodes the live pictures off the page's main thread (a module worker of images.js).
//
// A job: what paintPicture takes (with the picture as `b64`), and `id`, `ticket`, `type`, `quality`.
// The reply: {id, ticket, blob}, or {id, ticket, error}. Fresh canvases per job: a job waits on its
// encoding, and the next job may start meanwhile.

import { paintPicture } from "./picture.js";

const makeCanvas = (width, height) => new OffscreenCanvas(width, height);

self.onmessage = async (event) => {
  const job = event.data;
  try {
    const canvas = paintPicture({ ...job, bytes: atob(job.b64) }, makeCanvas);
    const blob = await canvas.convertToBlob({ type: job.type, quality: job.quality });
    self.postMessage({ id: job.id, ticket: job.ticket, blob });
  } catch (error) {
    self.postMessage({ id: job.id, ticket: job.ticket, error: String(error) });
  }
};
