package vodupload

// Images and attached media (watermarks, subtitles, materials): media
// kinds VOD cannot renew a credential for, so an upload whose credential
// dies early registers the file again.

import (
	"context"

	"github.com/vodupload/vodupload/internal/vodapi"
)

// ImageResult describes a finished image upload.
type ImageResult struct {
	ImageID  string
	ImageURL string // where the image is served
	Result
}

// AttachedMediaResult describes a finished attached-media upload.
type AttachedMediaResult struct {
	MediaID  string
	MediaURL string
	Result
}

// UploadImage uploads an image through CreateUploadImage. VOD has no
// refresh API for images: if the credential dies early, a file (not a
// stream) is registered again, the abandoned registration deleted and the
// upload restarted, up to 3 registrations; otherwise the upload fails with
// ErrCredentialExpired.
func (u *Uploader) UploadImage(ctx context.Context, src Source, m ImageMeta, opts ...UploadOption) (*ImageResult, error) {
	reg, res, err := u.upload(ctx, "UploadImage", opts, openSource(src), u.image(m))
	if err != nil {
		return nil, err
	}
	return &ImageResult{ImageID: reg.MediaID, ImageURL: reg.MediaURL, Result: res}, nil
}

// UploadAttachedMedia uploads a watermark, subtitle or material file
// through CreateUploadAttachedMedia; like images, it has no refresh API.
func (u *Uploader) UploadAttachedMedia(ctx context.Context, src Source, m AttachedMediaMeta,
	opts ...UploadOption) (*AttachedMediaResult, error) {
	reg, res, err := u.upload(ctx, "UploadAttachedMedia", opts, openSource(src), u.attachedMedia(m))
	if err != nil {
		return nil, err
	}
	return &AttachedMediaResult{MediaID: reg.MediaID, MediaURL: reg.MediaURL, Result: res}, nil
}

// image is the registrar of images: CreateUploadImage, no renewal,
// DeleteImage for a registration given up.
func (u *Uploader) image(m ImageMeta) registrar {
	return registrar{
		register: func(ctx context.Context, _ UploadOptions, p *payload) (*registration, error) {
			req, err := imageRequest(m, p.Name)
			if err != nil {
				return nil, err
			}
			return registered(u.vod.CreateUploadImage(ctx, req))
		},
		discard: u.vod.DeleteImage,
	}
}

// attachedMedia is the registrar of attached media: like images, with
// CreateUploadAttachedMedia and DeleteAttachedMedia.
func (u *Uploader) attachedMedia(m AttachedMediaMeta) registrar {
	return registrar{
		register: func(ctx context.Context, _ UploadOptions, p *payload) (*registration, error) {
			req, err := attachedRequest(m, p.Name, p.Size)
			if err != nil {
				return nil, err
			}
			return registered(u.vod.CreateUploadAttachedMedia(ctx, req))
		},
		discard: u.vod.DeleteAttachedMedia,
	}
}

// registered is the registration of a Create… answer.
func registered(up *vodapi.Upload, err error) (*registration, error) {
	if err != nil {
		return nil, err
	}
	return &registration{Upload: up}, nil
}
