'use strict';
// VOD RPC through @alicloud/pop-core alone: both HTTP methods, the
// UploadAddress/UploadAuth encodings, RefreshUploadVideo, and the errors
// a caller sees for a bad signature, an unknown key or video, and a
// missing required parameter.

const { target, expectFailure } = require('./lib');

module.exports = {
  async 'vod-rpc'({ vod }) {
    const post = await vod.call('CreateUploadVideo', { Title: 'conformance rpc', FileName: 'rpc.mp4', FileSize: 1 }, 'POST');
    const get = await vod.call('CreateUploadVideo', { Title: 'conformance rpc', FileName: 'rpc.mov' }, 'GET');
    const refreshed = await vod.call('RefreshUploadVideo', { VideoId: post.VideoId }, 'GET');
    const params = { Title: 'refused', FileName: 'refused.mp4' };
    return {
      post: { requestId: post.RequestId, videoId: post.VideoId, ...target(post) },
      get: { requestId: get.RequestId, videoId: get.VideoId, ...target(get) },
      refreshed: { requestId: refreshed.RequestId, videoId: refreshed.VideoId, ...target(refreshed) },
      badSecret: await expectFailure('wrong AccessKeySecret',
        vod.call('CreateUploadVideo', params, 'POST', { accessKeySecret: 'not-the-secret' })),
      unknownKey: await expectFailure('unknown AccessKeyId',
        vod.call('CreateUploadVideo', params, 'GET', { accessKeyId: 'LTAInotakey', accessKeySecret: 'x' })),
      unknownVideo: await expectFailure('RefreshUploadVideo of an unknown video',
        vod.call('RefreshUploadVideo', { VideoId: '00000000000000000000000000000000' }, 'POST')),
      missingTitle: await expectFailure('CreateUploadVideo without Title',
        vod.call('CreateUploadVideo', { FileName: 'untitled.mp4' }, 'POST')),
      missingImageType: await expectFailure('CreateUploadImage without ImageType',
        vod.call('CreateUploadImage', { ImageExt: 'png', Title: 'untyped' }, 'POST')),
    };
  },
};
