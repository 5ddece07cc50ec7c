// The AppServer's upload page: get a ticket, upload the file to OSS with
// ali-oss (multipart), renew the credential through the AppServer before
// it expires or when OSS refuses it, show progress, cancel.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);

  // Extensions VOD accepts per kind (lower case). GIF goes as an image.
  const words = (s) => new Set(s.split(' '));
  const VIDEO = words('mp4 ts 3gp mpg mpeg mpe dat vob asf avi wmv flv f4v rm rmvb mov mkv dv m2t m4v mj2 mjpeg mts ogg qt swf webm ' +
    'mp3 wma wav aac ra m4a flac ape ac3 amr caf acm');
  const IMAGE = words('png jpg jpeg gif');
  const ATTACHED = { srt: 'subtitle', ass: 'subtitle', stl: 'subtitle', ttml: 'subtitle', vtt: 'subtitle',
    zip: 'material', mat: 'material', apng: 'watermark' };

  const PART_SIZE = 1 << 20; // ali-oss grows it when a file needs more than 10,000 parts
  const PARALLEL = 4;
  const REFRESH_SHARE = 0.8; // renew at 80% of the credential's life, as VOD's own SDKs do
  const CREDENTIAL_ERRORS = new Set(['SecurityTokenExpired', 'InvalidAccessKeyId', 'InvalidSecurityToken']);
  const MAX_RENEWALS_IN_A_ROW = 3;

  const token = $('token');
  token.value = sessionStorage.getItem('appserverToken') || '';
  token.addEventListener('change', () => sessionStorage.setItem('appserverToken', token.value.trim()));
  const params = new URLSearchParams(location.search);
  $('api').value = params.get('api') || location.origin;

  let current = null; // the upload in progress: {client, checkpoint, cancelled}

  function setState(state, message) {
    document.body.dataset.state = state;
    document.body.className = state;
    $('result').textContent = message || '';
  }

  // What to ask the AppServer for, by the file's extension.
  function requestFor(file) {
    const dot = file.name.lastIndexOf('.');
    const ext = dot < 0 ? '' : file.name.slice(dot + 1).toLowerCase();
    const title = file.name.slice(0, 128);
    if (IMAGE.has(ext)) {
      return { kind: 'image', path: '/v1/images', body: { image_type: 'default', image_ext: ext, title } };
    }
    if (VIDEO.has(ext)) {
      return { kind: 'video', path: '/v1/videos', body: { title, file_name: file.name, file_size: file.size } };
    }
    if (ATTACHED[ext]) {
      return { kind: 'attached media', path: '/v1/attached-media',
        body: { business_type: ATTACHED[ext], file_name: file.name, file_size: file.size, title } };
    }
    throw new Error(ext === 'm3u8'
      ? 'an M3U8 playlist needs its segments: upload it with the Go library or CLI'
      : `VOD does not take .${ext || '(no extension)'} files`);
  }

  // api POSTs to the AppServer and returns its JSON, or throws its error.
  async function api(path, body) {
    const resp = await fetch($('api').value.replace(/\/$/, '') + path, {
      method: 'POST',
      headers: { 'Authorization': 'Bearer ' + token.value.trim(), 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    const data = await resp.json().catch(() => ({}));
    if (!resp.ok) {
      const e = data.error || {};
      throw new Error(`AppServer: ${resp.status} ${e.code || resp.statusText}: ${e.message || 'no details'}`);
    }
    return data;
  }

  // VOD's UploadAddress and UploadAuth are base64 of UTF-8 JSON.
  function decode(b64) {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  }

  function credentialOf(ticket) {
    const a = decode(ticket.UploadAuth);
    return { accessKeyId: a.AccessKeyId, accessKeySecret: a.AccessKeySecret, stsToken: a.SecurityToken };
  }

  const MB = 1e6;
  const MiB = 1 << 20;

  function showProgress(file, checkpoint, started) {
    const { partSize, doneParts } = checkpoint;
    let done = 0;
    for (const p of doneParts) done += Math.min(partSize, file.size - (p.number - 1) * partSize);
    const seconds = (performance.now() - started) / 1000;
    $('bar').value = file.size ? done / file.size : 1;
    const rate = seconds > 0 ? done / MB / seconds : 0;
    $('stats').textContent = `${(done / MiB).toFixed(1)} of ${(file.size / MiB).toFixed(1)} MiB · ${rate.toFixed(1)} MB/s`;
  }

  function describe(err) {
    if (err && err.code) {
      return `OSS: ${err.status || ''} ${err.code}: ${err.message}${err.requestId ? ` (RequestId ${err.requestId})` : ''}`;
    }
    return (err && err.message) || String(err);
  }

  async function upload(file) {
    const req = requestFor(file);
    setState('requesting', `Asking the AppServer for a ${req.kind} ticket…`);
    const ticket = await api(req.path, req.body);
    const id = ticket.VideoId || ticket.ImageId || ticket.MediaId;
    const address = decode(ticket.UploadAddress);
    let refreshToken = ticket.RefreshToken;
    let refreshes = 0;

    // Videos renew through the AppServer; VOD has no refresh for the other
    // kinds, whose credential must outlast the upload.
    const renew = req.kind !== 'video' ? null : async () => {
      const fresh = await api(`/v1/videos/${encodeURIComponent(id)}/refresh`, { refresh_token: refreshToken });
      refreshToken = fresh.RefreshToken;
      document.body.dataset.refreshes = String(++refreshes);
      return credentialOf(fresh);
    };
    const lifetime = Math.max(1000, Date.parse(ticket.Expires) - Date.now());
    const client = new OSS({
      endpoint: address.Endpoint,
      bucket: address.Bucket,
      secure: address.Endpoint.startsWith('https:'),
      ...credentialOf(ticket),
      refreshSTSToken: renew || undefined,
      refreshSTSTokenInterval: lifetime * REFRESH_SHARE,
      timeout: 120000,
    });
    const up = { client, checkpoint: null, cancelled: false };
    current = up;
    $('cancel').disabled = false;
    setState('uploading', `Uploading ${file.name} as ${req.kind} ${id}…`);

    const started = performance.now();
    let renewals = 0;
    for (;;) {
      try {
        await client.multipartUpload(address.FileName, file, {
          parallel: PARALLEL,
          partSize: PART_SIZE,
          checkpoint: up.checkpoint || undefined,
          progress: (_, checkpoint) => {
            if (!checkpoint) return;
            up.checkpoint = checkpoint;
            renewals = 0; // a part went through: the credential works
            showProgress(file, checkpoint, started);
          },
        });
        break;
      } catch (err) {
        if (up.cancelled || (err && err.name === 'cancel')) throw err;
        // OSS refused the credential (expired early, clock skew): renew and
        // continue from the parts already done.
        if (!renew || !CREDENTIAL_ERRORS.has(err.code) || ++renewals > MAX_RENEWALS_IN_A_ROW) throw err;
        Object.assign(client.options, await renew());
        // multipartUpload clears ali-oss's cancel flag when it starts, so a
        // Cancel pressed while the renewal was out must stop the loop here.
        if (up.cancelled) throw err;
      }
    }
    $('bar').value = 1;
    showProgress(file, { partSize: file.size || 1, doneParts: [{ number: 1 }] }, started);
    const label = { video: 'VideoId', image: 'ImageId', 'attached media': 'MediaId' }[req.kind];
    setState('done', `Uploaded. ${label}: ${id} (oss://${address.Bucket}/${address.FileName})`);
    Object.assign($('result').dataset, { id, bucket: address.Bucket, key: address.FileName });
  }

  async function cancel() {
    const up = current;
    if (!up || up.cancelled) return;
    up.cancelled = true;
    $('cancel').disabled = true;
    up.client.cancel();
  }

  // abort removes the parts of a cancelled or failed multipart upload, so
  // nothing is left for VOD to clean up a week later.
  async function abort(up) {
    const cp = up && up.checkpoint;
    if (!cp || !cp.uploadId) return '';
    try {
      up.client.resetCancelFlag();
      await up.client.abortMultipartUpload(cp.name, cp.uploadId);
      return ' The multipart upload was aborted.';
    } catch (err) {
      return ` Aborting the multipart upload failed too: ${describe(err)}. Its parts stay until VOD removes them (7 days).`;
    }
  }

  $('start').addEventListener('click', async () => {
    const file = $('file').files[0];
    if (!file) return setState('error', 'Pick a file first.');
    if (!token.value.trim()) return setState('error', 'Enter the AppServer token first.');
    sessionStorage.setItem('appserverToken', token.value.trim());
    $('start').disabled = true;
    $('bar').value = 0;
    $('stats').textContent = '';
    for (const k of ['id', 'bucket', 'key']) delete $('result').dataset[k];
    try {
      await upload(file);
    } catch (err) {
      const up = current;
      if (up && up.cancelled) {
        setState('cancelled', 'Cancelled.' + await abort(up));
      } else {
        setState('error', 'Upload failed: ' + describe(err) + (up && up.checkpoint ? await abort(up) : ''));
      }
    } finally {
      current = null;
      $('start').disabled = false;
      $('cancel').disabled = true;
    }
  });
  $('cancel').addEventListener('click', cancel);
})();
