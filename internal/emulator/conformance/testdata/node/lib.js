'use strict';
// What every step shares: the VOD client, the decoding of upload addresses
// and credentials, and an OSS client built the way a VOD user builds one.
// Clients are left at their defaults; only what VOD hands out is passed.

const RPCClient = require('@alicloud/pop-core');
const OSS = require('ali-oss');

// vodCaller signs RPC calls to one emulator with its root AccessKey, as an
// AppServer does; call(..., keys) signs with other keys instead, to see
// them refused. config is a plan entry's vod: endpoint, accessKeyId,
// accessKeySecret.
function vodCaller(config) {
  const client = keys =>
    new RPCClient({
      endpoint: config.endpoint,
      apiVersion: '2017-03-21',
      accessKeyId: keys.accessKeyId || config.accessKeyId,
      accessKeySecret: keys.accessKeySecret || config.accessKeySecret,
    });
  return {
    // method is 'POST' (what VOD's Node samples use) or 'GET' (pop-core's
    // default).
    call(action, params, method, keys = {}) {
      return client(keys).request(action, params, method === 'POST' ? { method: 'POST' } : {});
    },
  };
}

function decodeBase64JSON(s) {
  return JSON.parse(Buffer.from(s, 'base64').toString('utf8'));
}

// target decodes the UploadAddress and UploadAuth of a Create*/Refresh answer.
function target(answer) {
  return { address: decodeBase64JSON(answer.UploadAddress), auth: decodeBase64JSON(answer.UploadAuth) };
}

// stsCredentials is the shape ali-oss's refreshSTSToken must return.
function stsCredentials(auth) {
  return { accessKeyId: auth.AccessKeyId, accessKeySecret: auth.AccessKeySecret, stsToken: auth.SecurityToken };
}

// ossClient is ali-oss at its defaults, given what VOD returned, but for
// region: with an IP endpoint ali-oss addresses the bucket by sending Host
// <bucket>.<region>.aliyuncs.com, and its default region (oss-cn-hangzhou)
// is refused by a bucket in another region, on OSS as on the emulator.
// Against VOD's host-name endpoints region plays no part.
function ossClient(t, extra = {}) {
  return new OSS({
    endpoint: t.address.Endpoint,
    bucket: t.address.Bucket,
    region: `oss-${t.auth.Region}`,
    ...stsCredentials(t.auth),
    ...extra,
  });
}

// ossClientAtDefaults passes only what VOD returned, nothing else.
function ossClientAtDefaults(t) {
  return new OSS({ endpoint: t.address.Endpoint, bucket: t.address.Bucket, ...stsCredentials(t.auth) });
}

// failure keeps what an OSS or VOD error tells a caller, for the Go side.
function failure(err) {
  if (!err || typeof err !== 'object') return { message: String(err) };
  const entry = err.entry && err.entry.response;
  return {
    name: err.name,
    code: err.code,
    status: err.status || (entry && entry.statusCode),
    message: err.message,
    requestId: err.requestId || (err.data && err.data.RequestId),
    hostId: err.hostId || (err.data && err.data.HostId),
  };
}

// expectFailure returns the failure of a call that must fail.
async function expectFailure(what, promise) {
  try {
    await promise;
  } catch (err) {
    return failure(err);
  }
  throw new Error(`${what}: succeeded, want an error`);
}

function sleep(ms) {
  return new Promise(resolve => setTimeout(resolve, ms));
}

module.exports = { vodCaller, target, stsCredentials, ossClient, ossClientAtDefaults, failure, expectFailure, sleep };
