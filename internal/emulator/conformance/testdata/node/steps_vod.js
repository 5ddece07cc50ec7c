'use strict';
// VOD RPC through @alicloud/pop-core alone: both HTTP methods, the
// UploadAddress/UploadAuth encodings, RefreshUploadVideo, and the errors
// a caller sees for a bad signature, an unknown key or video, and a
// missing required parameter.

const { vodCall, target, expectFailure } = require('./lib');

module.exports = {
  async 'vod-rpc'() {
    const post = await vodCall('CreateUploadVideo', { Title: 'conformance rpc', FileName: 'rpc.mp4', FileSize: 1 }, 'POST');
    const get = await vodCall('CreateUploadVideo', { Title: 'conformance rpc', FileName: 'rpc.mov' }, 'GET');
    const refreshed = await vodCall('RefreshUploadVideo', { VideoId: post.VideoId }, 'GET');
    const params = { Title: 'refused', FileName: 'refused.mp4' };
    return {
      post: { requestId: post.RequestId, videoId: post.VideoId, ...target(post) },
      get: { requestId: get.RequestId, videoId: get.VideoId, ...target(get) },
      refreshed: { requestId: refreshed.RequestId, videoId: refreshed.VideoId, ...target(refreshed) },
      badSecret: await expectFailure('wrong AccessKeySecret',
        vodCall('CreateUploadVideo', params, 'POST', { accessKeySecret: 'not-the-secret' })),
      unknownKey: await expectFailure('unknown AccessKeyId',
        vodCall('CreateUploadVideo', params, 'GET', { accessKeyId: 'LTAInotakey', accessKeySecret: 'x' })),
      unknownVideo: await expectFailure('RefreshUploadVideo of an unknown video',
        vodCall('RefreshUploadVideo', { VideoId: '00000000000000000000000000000000' }, 'POST')),
      missingTitle: await expectFailure('CreateUploadVideo without Title',
        vodCall('CreateUploadVideo', { FileName: 'untitled.mp4' }, 'POST')),
      missingImageType: await expectFailure('CreateUploadImage without ImageType',
        vodCall('CreateUploadImage', { ImageExt: 'png', Title: 'untyped' }, 'POST')),
    };
  },
};
