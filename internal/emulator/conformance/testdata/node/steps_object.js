'use strict';
// Steps that write whole objects: PutObject from a Buffer and from a
// stream, images, attached media, and a credential used outside its scope.
// Each returns facts; the Go test asserts on them and on the emulator.

const crypto = require('node:crypto');
const fs = require('node:fs');
const { target, ossClient, ossClientAtDefaults, expectFailure } = require('./lib');

// headFacts keeps the HeadObject answer headers a client relies on.
function headFacts(res) {
  const h = res.headers;
  return {
    status: res.status,
    contentLength: h['content-length'],
    contentType: h['content-type'],
    etag: h.etag,
    crc64: h['x-oss-hash-crc64ecma'],
    objectType: h['x-oss-object-type'],
    lastModified: h['last-modified'],
    requestId: h['x-oss-request-id'],
  };
}

function sha256(b) {
  return crypto.createHash('sha256').update(b).digest('hex');
}

// readBack heads and gets key, so the Go side can compare both with what
// was sent.
async function readBack(client, key) {
  const head = await client.head(key);
  const got = await client.get(key);
  return { head: headFacts(head.res), getSha256: sha256(got.content), getLength: got.content.length };
}

async function createVideo(vod, title, fileName, size, method) {
  const answer = await vod.call('CreateUploadVideo', { Title: title, FileName: fileName, FileSize: size }, method);
  return { answer, t: target(answer) };
}

// putMedia creates a media record with action, puts input where VOD says
// and reads it back.
async function putMedia(vod, action, params, input) {
  const answer = await vod.call(action, params, 'POST');
  const t = target(answer);
  const client = ossClient(t);
  const key = t.address.FileName;
  await client.put(key, fs.readFileSync(input));
  return { answer, facts: { bucket: t.address.Bucket, key, ...(await readBack(client, key)) } };
}

module.exports = {
  // CreateUploadVideo → decode → put(Buffer) → head/get.
  async 'put-head-get'({ vod, input }) {
    const data = fs.readFileSync(input);
    const { answer, t } = await createVideo(vod, 'conformance put', 'put.mp4', data.length, 'POST');
    const client = ossClient(t);
    const key = t.address.FileName;
    const put = await client.put(key, data);
    return {
      mediaId: answer.VideoId,
      bucket: t.address.Bucket,
      key,
      auth: { expiration: t.auth.Expiration, region: t.auth.Region },
      putStatus: put.res.status,
      putEtag: put.res.headers.etag,
      putCrc64: put.res.headers['x-oss-hash-crc64ecma'],
      ...(await readBack(client, key)),
    };
  },

  // ali-oss with nothing but what VOD returned. Against an IP endpoint it
  // sends Host <bucket>.oss-cn-hangzhou.aliyuncs.com: accepted when the
  // bucket is in cn-hangzhou, refused as OSS refuses a bucket addressed
  // through another region's endpoint otherwise.
  async 'ali-oss-defaults'({ vod, input }) {
    const data = fs.readFileSync(input);
    const { answer, t } = await createVideo(vod, 'conformance defaults', 'defaults.mp4', data.length, 'POST');
    const client = ossClientAtDefaults(t);
    const key = t.address.FileName;
    if (t.auth.Region !== 'cn-hangzhou') {
      return { region: t.auth.Region, refused: await expectFailure('put through the default region', client.put(key, data)) };
    }
    await client.put(key, data);
    return { region: t.auth.Region, mediaId: answer.VideoId, bucket: t.address.Bucket, key, ...(await readBack(client, key)) };
  },

  // putStream of a file with no length: chunked transfer encoding, and an
  // explicit Content-Type instead of the one ali-oss derives from the key.
  async 'put-stream'({ vod, input }) {
    const size = fs.statSync(input).size;
    const { answer, t } = await createVideo(vod, 'conformance stream', 'stream.mp4', size, 'GET');
    const client = ossClient(t);
    const key = t.address.FileName;
    const put = await client.putStream(key, fs.createReadStream(input), {
      headers: { 'Content-Type': 'application/octet-stream' },
    });
    return {
      mediaId: answer.VideoId,
      bucket: t.address.Bucket,
      key,
      putStatus: put.res.status,
      putEtag: put.res.headers.etag,
      putCrc64: put.res.headers['x-oss-hash-crc64ecma'],
      ...(await readBack(client, key)),
    };
  },

  // CreateUploadImage with its required ImageType → put → read back.
  async 'image-upload'({ vod, input }) {
    const params = { ImageType: 'default', ImageExt: 'png', Title: 'conformance image' };
    const { answer, facts } = await putMedia(vod, 'CreateUploadImage', params, input);
    return { mediaId: answer.ImageId, imageURL: answer.ImageURL, ...facts };
  },

  // CreateUploadAttachedMedia with BusinessType and MediaExt → put → read back.
  async 'attached-upload'({ vod, input }) {
    const params = { BusinessType: 'watermark', MediaExt: 'png', Title: 'conformance watermark' };
    const { answer, facts } = await putMedia(vod, 'CreateUploadAttachedMedia', params, input);
    return { mediaId: answer.MediaId, mediaURL: answer.MediaURL, ...facts };
  },

  // Video A's credential writes A's key, then tries B's key and reading it.
  async 'cross-key-denied'({ vod, input }) {
    const data = fs.readFileSync(input);
    const a = await createVideo(vod, 'conformance owner', 'a.mp4', data.length, 'POST');
    const b = await createVideo(vod, 'conformance victim', 'b.mp4', data.length, 'POST');
    const client = ossClient(a.t);
    await client.put(a.t.address.FileName, data);
    const otherKey = b.t.address.FileName;
    return {
      bucket: a.t.address.Bucket,
      key: a.t.address.FileName,
      otherBucket: b.t.address.Bucket,
      otherKey,
      putOther: await expectFailure('put with another video credential', client.put(otherKey, data)),
      multipartOther: await expectFailure('initMultipartUpload with another video credential',
        client.initMultipartUpload(otherKey)),
    };
  },
};
