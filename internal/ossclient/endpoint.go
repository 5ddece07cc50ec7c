package ossclient

import (
	"fmt"
	"net/url"
	"strings"
)

// AccelerateEndpoint is OSS's global transfer acceleration endpoint.
const AccelerateEndpoint = "https://oss-accelerate.aliyuncs.com"

// Endpoint picks the OSS endpoint to upload to from the one VOD issued:
// HTTPS for Alibaba Cloud hosts even if VOD said http, the region's
// internal endpoint when the caller runs on ECS in the bucket's region (no
// traffic charge, no public network), or the acceleration endpoint.
// Endpoints outside aliyuncs.com (an emulator, a proxy) are kept as is.
func Endpoint(issued, ecsRegion string, accelerate bool) (string, error) {
	u, err := url.Parse(issued)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("upload address endpoint %q is not a URL", issued)
	}
	host := u.Hostname()
	if !strings.HasSuffix(host, ".aliyuncs.com") {
		return issued, nil
	}
	u.Scheme = "https"
	switch {
	case accelerate:
		return AccelerateEndpoint, nil
	case ecsRegion != "" && host == "oss-"+ecsRegion+".aliyuncs.com":
		u.Host = "oss-" + ecsRegion + "-internal.aliyuncs.com"
	}
	return u.String(), nil
}
