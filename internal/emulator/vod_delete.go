package emulator

import (
	"net/http"
	"net/url"
	"strings"
)

// DeleteImage, DeleteAttachedMedia and DeleteVideo remove media records
// and their files, as VOD does; an uploader uses them to clean up a
// registration it abandoned or whose upload failed for good.

type deleteImageResult struct {
	RequestID string `json:"RequestId" xml:"RequestId"`
}

type deleteAttachedResult struct {
	RequestID        string   `json:"RequestId" xml:"RequestId"`
	NonExistMediaIDs []string `json:"NonExistMediaIds,omitempty" xml:"NonExistMediaIds,omitempty"`
}

// snapshotTypes are DeleteImage's ImageType values for DeleteImageType
// VideoId; All stands alone, the others may be combined.
const snapshotTypes = "CoverSnapshot NormalSnapshot SpriteSnapshot SpriteOriginSnapshot"

func errNoSuchImage() *rpcError {
	return newRPCError(http.StatusNotFound, "NoSuchResource", "The specified resource does not exist.")
}

// deleteImage deletes images by ID or by URL, or a video's snapshots
// (the emulator takes none, so that deletes nothing). An image that does
// not exist fails the call with NoSuchResource before anything is
// deleted; VOD documents the code, not what happens to the other IDs.
func (s *Server) deleteImage(p rpcParams) (any, *rpcError) {
	if err := validateParams(p, []paramRule{
		{name: "DeleteImageType", required: true, checks: []check{oneOf("ImageURL", "ImageId", "VideoId")}},
	}); err != nil {
		return nil, err
	}
	var (
		recs []*mediaRecord
		err  *rpcError
	)
	switch strings.ToLower(p.get("DeleteImageType")) {
	case "imageid":
		recs, err = s.imagesBy(p, "ImageIds", func(id string) *mediaRecord { return s.lookupMedia(id, kindImage) })
	case "imageurl":
		recs, err = s.imagesBy(p, "ImageURLs", s.imageByURL)
	default:
		err = s.checkSnapshotDelete(p)
	}
	if err != nil {
		return nil, err
	}
	for _, rec := range recs {
		s.deleteRecord(rec)
	}
	return deleteImageResult{RequestID: newRequestID()}, nil
}

// imagesBy resolves the list parameter name to image records.
func (s *Server) imagesBy(p rpcParams, name string, find func(string) *mediaRecord) ([]*mediaRecord, *rpcError) {
	ids := splitList(p.get(name))
	switch {
	case len(ids) == 0:
		return nil, missingParameter(name)
	case len(ids) > maxDeleteIDs:
		return nil, invalidParam(name)
	}
	recs := make([]*mediaRecord, 0, len(ids))
	for _, id := range ids {
		rec := find(id)
		if rec == nil {
			return nil, errNoSuchImage()
		}
		recs = append(recs, rec)
	}
	return recs, nil
}

// imageByURL finds the image whose ImageURL is u, which VOD asks to be
// URL-encoded.
func (s *Server) imageByURL(u string) *mediaRecord {
	if dec, err := url.QueryUnescape(u); err == nil {
		u = dec
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.media {
		if m.Kind == kindImage && s.objectURL(m.Bucket, m.Key) == u {
			return m
		}
	}
	return nil
}

// checkSnapshotDelete validates a delete by VideoId: the video must exist
// and ImageType name snapshot kinds.
func (s *Server) checkSnapshotDelete(p rpcParams) *rpcError {
	for _, name := range []string{"VideoId", "ImageType"} {
		if p.get(name) == "" {
			return missingParameter(name)
		}
	}
	types := splitList(p.get("ImageType"))
	for _, t := range types {
		if !inList(snapshotTypes, t) && (t != "All" || len(types) > 1) {
			return invalidParam("ImageType")
		}
	}
	if s.lookupMedia(p.get("VideoId"), kindVideo) == nil {
		return errVideoNotFound()
	}
	return nil
}

// deleteAttachedMedia deletes by MediaIds and lists those that named
// nothing.
func (s *Server) deleteAttachedMedia(p rpcParams) (any, *rpcError) {
	if err := validateParams(p, []paramRule{
		{name: "MediaIds", required: true, checks: []check{idList(maxDeleteIDs)}},
	}); err != nil {
		return nil, err
	}
	res := deleteAttachedResult{RequestID: newRequestID()}
	for _, id := range splitList(p.get("MediaIds")) {
		rec := s.lookupMedia(id, kindAttached)
		if rec == nil {
			res.NonExistMediaIDs = append(res.NonExistMediaIDs, id)
			continue
		}
		s.deleteRecord(rec)
	}
	return res, nil
}

// deleteRecord removes a record with its object.
func (s *Server) deleteRecord(rec *mediaRecord) {
	s.DeleteMedia(rec.ID)
	_ = s.store.delete(rec.Bucket, rec.Key) // a record whose upload never finished has no object
}

type deleteVideoResult struct {
	RequestID         string   `json:"RequestId" xml:"RequestId"`
	NonExistVideoIDs  []string `json:"NonExistVideoIds,omitempty" xml:"NonExistVideoIds,omitempty"`
	ForbiddenVideoIDs []string `json:"ForbiddenVideoIds,omitempty" xml:"ForbiddenVideoIds,omitempty"`
}

// deleteVideo deletes videos named by VideoIds and by ReferenceIds (up to
// 20 of each; neither is marked required, so VOD answers MissingParameter
// when both are absent). IDs that name no video are listed, the others
// deleted with their objects. ForbiddenVideoIds, for videos the caller's
// RAM policy does not cover, stays empty: the emulator has no RAM.
func (s *Server) deleteVideo(p rpcParams) (any, *rpcError) {
	if err := validateParams(p, []paramRule{
		{name: "VideoIds", checks: []check{idList(maxDeleteIDs)}},
		{name: "ReferenceIds", checks: []check{idList(maxDeleteIDs), referenceIDList}},
	}); err != nil {
		return nil, err
	}
	ids, refs := splitList(p.get("VideoIds")), splitList(p.get("ReferenceIds"))
	if len(ids) == 0 && len(refs) == 0 {
		return nil, missingParameter("VideoIds")
	}
	res := deleteVideoResult{RequestID: newRequestID()}
	find := func(list []string, lookup func(string) *mediaRecord) {
		for _, id := range list {
			rec := lookup(id)
			if rec == nil {
				res.NonExistVideoIDs = append(res.NonExistVideoIDs, id)
				continue
			}
			s.deleteRecord(rec)
		}
	}
	find(ids, func(id string) *mediaRecord { return s.lookupMedia(id, kindVideo) })
	find(refs, s.videoByReference)
	return res, nil
}

// referenceIDList checks each ReferenceId of a comma-separated list.
func referenceIDList(p rpcParams, name, v string) *rpcError {
	for _, ref := range splitList(v) {
		if err := referenceID(p, name, ref); err != nil {
			return err
		}
	}
	return nil
}
