'use strict';
// What a browser adds to a VOD web upload: the CORS preflight before each
// signed request, and the Access-Control-* headers on the answers, which
// decide whether the page may read ETag (ali-oss needs it to complete a
// multipart upload). Node does not enforce CORS, so the preflight is sent
// by hand, as a browser would send it to <bucket>.localhost (the emulator
// started with -hostname localhost; browsers resolve *.localhost).

const fs = require('node:fs');
const http = require('node:http');
const https = require('node:https');
const { target, ossClient } = require('./lib');

const origin = 'http://localhost:8080';

// The headers ali-oss's browser build signs and sends
// (lib/common/utils/createRequest.js with window defined).
const requestHeaders = 'authorization,content-md5,content-type,x-oss-date,x-oss-security-token,x-oss-user-agent';

// preflight sends OPTIONS for method on path and returns status and headers.
function preflight(endpoint, bucket, path, method) {
  const url = new URL(path, endpoint);
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(url, {
      method: 'OPTIONS',
      headers: {
        Host: `${bucket}.localhost:${url.port}`,
        Origin: origin,
        'Access-Control-Request-Method': method,
        'Access-Control-Request-Headers': requestHeaders,
      },
      servername: 'localhost',
    }, res => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, headers: corsHeaders(res.headers) }));
    });
    req.on('error', reject);
    req.end();
  });
}

function corsHeaders(h) {
  return {
    allowOrigin: h['access-control-allow-origin'],
    allowMethods: h['access-control-allow-methods'],
    allowHeaders: h['access-control-allow-headers'],
    exposeHeaders: h['access-control-expose-headers'],
  };
}

module.exports = {
  async 'browser-cors'({ vod, input }) {
    const data = fs.readFileSync(input);
    const answer = await vod.call('CreateUploadVideo', { Title: 'conformance web', FileName: 'web.mp4', FileSize: data.length }, 'POST');
    const t = target(answer);
    const { Endpoint: endpoint, Bucket: bucket, FileName: key } = t.address;
    const escaped = `/${key.split('/').map(encodeURIComponent).join('/')}`;
    const client = ossClient(t);
    const put = await client.put(key, data, { headers: { Origin: origin } });
    return {
      mediaId: answer.VideoId,
      bucket,
      key,
      origin,
      requestHeaders,
      preflightPut: await preflight(endpoint, bucket, escaped, 'PUT'),
      preflightInit: await preflight(endpoint, bucket, `${escaped}?uploads`, 'POST'),
      put: { status: put.res.status, etag: put.res.headers.etag, ...corsHeaders(put.res.headers) },
    };
  },
};
