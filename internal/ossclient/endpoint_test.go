package ossclient

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEndpoint(t *testing.T) {
	t.Parallel()
	tests := []struct {
		issued, ecs string
		accel       bool
		want        string
	}{
		{"https://oss-cn-shanghai.aliyuncs.com", "", false, "https://oss-cn-shanghai.aliyuncs.com"},
		{"http://oss-cn-shanghai.aliyuncs.com", "", false, "https://oss-cn-shanghai.aliyuncs.com"},
		{"https://oss-cn-shanghai.aliyuncs.com", "cn-shanghai", false, "https://oss-cn-shanghai-internal.aliyuncs.com"},
		{"https://oss-cn-shanghai.aliyuncs.com", "cn-beijing", false, "https://oss-cn-shanghai.aliyuncs.com"},
		{"https://oss-cn-shanghai.aliyuncs.com", "cn-shanghai", true, AccelerateEndpoint},
		{"http://127.0.0.1:9000", "cn-shanghai", true, "http://127.0.0.1:9000"},
	}
	for _, tt := range tests {
		got, err := Endpoint(tt.issued, tt.ecs, tt.accel)
		require.NoError(t, err)
		assert.Equal(t, tt.want, got, "%+v", tt)
	}
	_, err := Endpoint("::nonsense", "", false)
	assert.Error(t, err)
}
