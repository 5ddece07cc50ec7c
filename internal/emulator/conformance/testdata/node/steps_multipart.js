'use strict';
// Steps that use OSS multipart uploads through ali-oss: its managed
// multipartUpload (parallel, progress, cancel and checkpoint resume, STS
// refresh) and the calls a client makes by hand (init, uploadPart,
// complete, listParts, listUploads, abort).

const fs = require('node:fs');
const { target, stsCredentials, ossClient, failure, expectFailure, sleep } = require('./lib');

const partSize = 100 * 1024; // OSS's and ali-oss's minimum part size

async function createVideo(vod, title, fileName, size) {
  const answer = await vod.call('CreateUploadVideo', { Title: title, FileName: fileName, FileSize: size }, 'POST');
  return { answer, t: target(answer) };
}

// refreshVideo renews a video's credential with RefreshUploadVideo (GET,
// pop-core's default method).
async function refreshVideo(vod, videoId) {
  return target(await vod.call('RefreshUploadVideo', { VideoId: videoId }, 'GET'));
}

function partFacts(parts) {
  const list = Array.isArray(parts) ? parts : [parts];
  return list.map(p => ({ number: Number(p.PartNumber), etag: p.ETag, size: Number(p.Size), lastModified: p.LastModified }));
}

function listFacts(l) {
  return {
    bucket: l.bucket,
    key: l.name,
    parts: partFacts(l.parts),
    isTruncated: String(l.isTruncated),
    nextPartNumberMarker: l.nextPartNumberMarker,
  };
}

module.exports = {
  // multipartUpload of a file in 100 KiB parts, 3 at a time, with progress.
  async 'multipart-progress'({ vod, input }) {
    const size = fs.statSync(input).size;
    const { answer, t } = await createVideo(vod, 'conformance multipart', 'multipart.mp4', size);
    const progress = [];
    let uploadId = '';
    const res = await ossClient(t).multipartUpload(t.address.FileName, input, {
      partSize,
      parallel: 3,
      progress: (p, cpt) => {
        progress.push(p);
        if (cpt) uploadId = cpt.uploadId;
      },
    });
    return {
      mediaId: answer.VideoId,
      bucket: t.address.Bucket,
      key: t.address.FileName,
      uploadId,
      parts: Math.ceil(size / partSize),
      progress,
      etag: res.etag,
    };
  },

  // A multipartUpload cancelled after some parts, its checkpoint saved as
  // JSON, then resumed by a new client holding a refreshed credential, as
  // a web page reloaded mid-upload does.
  async 'multipart-cancel-resume'({ vod, input }) {
    const size = fs.statSync(input).size;
    const { answer, t } = await createVideo(vod, 'conformance resume', 'resume.mp4', size);
    const first = ossClient(t);
    const cancelAfter = 4;
    let saved = null;
    let doneAtCancel = [];
    const cancelled = await expectFailure('cancelled multipartUpload', first.multipartUpload(t.address.FileName, input, {
      partSize,
      parallel: 2,
      progress: (p, cpt) => {
        if (!saved && cpt && cpt.doneParts.length >= cancelAfter) {
          doneAtCancel = cpt.doneParts.map(d => d.number);
          saved = JSON.stringify(cpt);
          first.cancel();
        }
      },
    }));
    if (!saved) throw new Error(`upload ended before ${cancelAfter} parts were done: ${JSON.stringify(cancelled)}`);

    const checkpoint = JSON.parse(saved);
    let resumedParts = 0;
    const second = ossClient(await refreshVideo(vod, answer.VideoId));
    await second.multipartUpload(checkpoint.name, checkpoint.file, {
      checkpoint,
      parallel: 2,
      progress: (p, cpt) => {
        if (cpt) resumedParts++;
      },
    });
    return {
      mediaId: answer.VideoId,
      bucket: t.address.Bucket,
      key: t.address.FileName,
      uploadId: checkpoint.uploadId,
      parts: Math.ceil(size / partSize),
      cancelled,
      doneAtCancel,
      resumedParts,
    };
  },

  // initMultipartUpload + uploadPart + listParts (whole and paged) +
  // listUploads, then abortMultipartUpload and the upload is gone.
  async 'list-abort'({ vod, input }) {
    const size = fs.statSync(input).size;
    const { t } = await createVideo(vod, 'conformance abort', 'abort.mp4', size);
    const client = ossClient(t);
    const key = t.address.FileName;
    const { uploadId } = await client.initMultipartUpload(key);
    const sent = [];
    for (let n = 1, start = 0; start < size; n++, start += partSize) {
      const r = await client.uploadPart(key, uploadId, n, input, start, Math.min(start + partSize, size));
      sent.push({ number: n, etag: r.etag, size: Math.min(partSize, size - start) });
    }
    const all = await client.listParts(key, uploadId);
    const page1 = await client.listParts(key, uploadId, { 'max-parts': 1 });
    const page2 = await client.listParts(key, uploadId, { 'max-parts': 1, 'part-number-marker': page1.nextPartNumberMarker });
    const before = await client.listUploads({ prefix: key });
    await client.abortMultipartUpload(key, uploadId);
    const after = await client.listUploads({ prefix: key });
    return {
      bucket: t.address.Bucket,
      key,
      uploadId,
      sent,
      listed: listFacts(all),
      page1: listFacts(page1),
      page2: listFacts(page2),
      uploadsBefore: before.uploads,
      uploadsAfter: after.uploads,
      listPartsAfterAbort: await expectFailure('listParts after abort', client.listParts(key, uploadId)),
      uploadPartAfterAbort: await expectFailure('uploadPart after abort',
        client.uploadPart(key, uploadId, 1, input, 0, Math.min(partSize, size))),
    };
  },

  // initMultipartUpload with a Content-Type, parts by hand,
  // completeMultipartUpload with the ETags the parts answered.
  async 'multipart-by-hand'({ vod, input }) {
    const size = fs.statSync(input).size;
    const { answer, t } = await createVideo(vod, 'conformance by hand', 'hand.mp4', size);
    const client = ossClient(t);
    const key = t.address.FileName;
    const init = await client.initMultipartUpload(key, { mime: 'video/mp4' });
    const { uploadId } = init;
    const done = [];
    for (let n = 1, start = 0; start < size; n++, start += partSize) {
      const r = await client.uploadPart(key, uploadId, n, input, start, Math.min(start + partSize, size));
      done.push({ number: n, etag: r.etag });
    }
    const complete = await client.completeMultipartUpload(key, uploadId, done);
    const head = await client.head(key);
    const got = await client.get(key);
    return {
      mediaId: answer.VideoId,
      bucket: t.address.Bucket,
      key,
      uploadId,
      init: { bucket: init.bucket, key: init.name },
      parts: done.length,
      completeStatus: complete.res.status,
      completeEtag: complete.etag,
      contentType: head.res.headers['content-type'],
      headEtag: head.res.headers.etag,
      objectType: head.res.headers['x-oss-object-type'],
      getBase64: got.content.toString('base64'),
    };
  },

  // A multipartUpload that outlives its credential: refreshSTSToken calls
  // RefreshUploadVideo every quarter of the STS lifetime, and each part is
  // paced so the whole upload takes longer than that lifetime.
  async 'sts-refresh'({ vod, input, ttlMs }) {
    const ttl = ttlMs;
    const size = fs.statSync(input).size;
    const parts = Math.ceil(size / partSize);
    const { answer, t } = await createVideo(vod, 'conformance refresh', 'refresh.mp4', size);
    const started = Date.now();
    let refreshes = 0;
    let uploadId = '';
    await ossClient(t, {
      refreshSTSToken: async () => {
        refreshes++;
        return stsCredentials((await refreshVideo(vod, answer.VideoId)).auth);
      },
      refreshSTSTokenInterval: ttl / 4,
    }).multipartUpload(t.address.FileName, input, {
      partSize,
      parallel: 1,
      progress: async (p, cpt) => {
        if (cpt) uploadId = cpt.uploadId;
        if (p < 1) await sleep(ttl / parts + 50);
      },
    });
    const elapsedMs = Date.now() - started;
    // The first credential is dead by now: without the refreshes the
    // upload could not have finished.
    let firstCredential;
    try {
      await ossClient(t).head(t.address.FileName);
      firstCredential = { status: 200 };
    } catch (err) {
      firstCredential = failure(err);
    }
    return {
      mediaId: answer.VideoId,
      bucket: t.address.Bucket,
      key: t.address.FileName,
      uploadId,
      parts,
      refreshes,
      elapsedMs,
      ttlMs: ttl,
      firstCredential,
    };
  },
};
