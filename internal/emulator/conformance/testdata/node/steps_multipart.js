'use strict';
// Steps that use OSS multipart uploads through ali-oss: its managed
// multipartUpload (parallel, progress, cancel and checkpoint resume, STS
// refresh) and the calls a client makes by hand (init, uploadPart,
// complete, listParts, listUploads, abort).

const fs = require('node:fs');
const { env, vodCall, target, stsCredentials, ossClient, failure, expectFailure, sleep } = require('./lib');

const partSize = 100 * 1024; // OSS's and ali-oss's minimum part size

async function createVideo(title, fileName, size) {
  const answer = await vodCall('CreateUploadVideo', { Title: title, FileName: fileName, FileSize: size }, 'POST');
  return { answer, t: target(answer) };
}

// refreshVideo renews a video's credential with RefreshUploadVideo (GET,
// pop-core's default method).
async function refreshVideo(videoId) {
  return target(await vodCall('RefreshUploadVideo', { VideoId: videoId }, 'GET'));
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
  // A multipartUpload cancelled after some parts, its checkpoint saved as
  // JSON, then resumed by a new client holding a refreshed credential, as
  // a web page reloaded mid-upload does.
  async 'multipart-cancel-resume'(input) {
    const size = fs.statSync(input).size;
    const { answer, t } = await createVideo('conformance resume', 'resume.mp4', size);
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
    const second = ossClient(await refreshVideo(answer.VideoId));
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
  async 'list-abort'(input) {
    const size = fs.statSync(input).size;
    const { t } = await createVideo('conformance abort', 'abort.mp4', size);
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

  // A multipartUpload that outlives its credential: refreshSTSToken calls
  // RefreshUploadVideo every quarter of the STS lifetime, and each part is
  // paced so the whole upload takes longer than that lifetime.
  async 'sts-refresh'(input) {
    const ttl = Number(env('EMULATOR_STS_TTL_MS'));
    const size = fs.statSync(input).size;
    const parts = Math.ceil(size / partSize);
    const { answer, t } = await createVideo('conformance refresh', 'refresh.mp4', size);
    const started = Date.now();
    let refreshes = 0;
    let uploadId = '';
    await ossClient(t, {
      refreshSTSToken: async () => {
        refreshes++;
        return stsCredentials((await refreshVideo(answer.VideoId)).auth);
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
