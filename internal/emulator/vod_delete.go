package emulator

import (
	"strings"
)

// DeleteImage and DeleteAttachedMedia remove a media record and its file,
// as VOD does; an uploader uses them to clean up a registration it
// abandoned.

// maxDeleteIDs is how many IDs one delete call takes.
const maxDeleteIDs = 20

type deleteImageResult struct {
	RequestID string `json:"RequestId" xml:"RequestId"`
}

type deleteAttachedResult struct {
	RequestID        string   `json:"RequestId" xml:"RequestId"`
	NonExistMediaIDs []string `json:"NonExistMediaIds" xml:"NonExistMediaIds"`
}

// deleteImage supports DeleteImageType=ImageId; deleting by URL or by a
// video's snapshots is not emulated. IDs that name no image are skipped.
func (s *Server) deleteImage(p rpcParams) (any, *rpcError) {
	switch typ := p.get("DeleteImageType"); typ {
	case "":
		return nil, missingParam("DeleteImageType")
	case "ImageId":
	default:
		return nil, invalidParam("DeleteImageType", "The emulator deletes images by ImageId only, not by "+typ+".")
	}
	ids, rerr := deleteIDs(p, "ImageIds")
	if rerr != nil {
		return nil, rerr
	}
	s.deleteMedia(kindImage, ids)
	return deleteImageResult{RequestID: newRequestID()}, nil
}

// deleteAttachedMedia deletes by MediaIds and lists those that named
// nothing.
func (s *Server) deleteAttachedMedia(p rpcParams) (any, *rpcError) {
	ids, rerr := deleteIDs(p, "MediaIds")
	if rerr != nil {
		return nil, rerr
	}
	missing := s.deleteMedia(kindAttached, ids)
	return deleteAttachedResult{RequestID: newRequestID(), NonExistMediaIDs: missing}, nil
}

// deleteIDs reads a comma-separated ID list of at most maxDeleteIDs.
func deleteIDs(p rpcParams, name string) ([]string, *rpcError) {
	raw := p.get(name)
	if raw == "" {
		return nil, missingParam(name)
	}
	ids := strings.Split(raw, ",")
	if len(ids) > maxDeleteIDs {
		return nil, invalidParam(name, "At most 20 IDs are allowed.")
	}
	return ids, nil
}

// deleteMedia removes the records of kind named by ids, with their
// objects, and returns the IDs that named none.
func (s *Server) deleteMedia(kind mediaKind, ids []string) (missing []string) {
	for _, id := range ids {
		rec := s.lookupMedia(id, kind)
		if rec == nil {
			missing = append(missing, id)
			continue
		}
		s.DeleteMedia(id)
		_ = s.store.delete(rec.Bucket, rec.Key) // a record whose upload never finished has no object
	}
	return missing
}
