package vodapi

// Upload is what a Create* or RefreshUploadVideo call returns: the media
// ID, where to upload and the credential to do it with.
//
// Printing or logging an Upload never shows the credential (see Secret),
// and neither does json.Marshal.
type Upload struct {
	MediaID   string // VideoId, ImageId or MediaId, depending on the call
	RequestID string
	Address   UploadAddress
	Auth      UploadAuth
	// RawAddress and RawAuth are the base64 strings exactly as VOD sent
	// them, for clients that decode them themselves.
	RawAddress string
	RawAuth    Secret
	// MediaURL and FileURL are set by CreateUploadImage (ImageURL, FileURL)
	// and CreateUploadAttachedMedia (MediaURL, FileURL).
	MediaURL string
	FileURL  string
}
