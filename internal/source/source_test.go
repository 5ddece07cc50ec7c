package source

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFileRejectsBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.mp4")
	require.NoError(t, os.WriteFile(empty, nil, 0o600))
	tests := []struct {
		name string
		path string
		want error
	}{
		{"missing", filepath.Join(dir, "nope.mp4"), os.ErrNotExist},
		{"directory", dir, ErrNotRegular},
		{"empty", empty, ErrEmpty},
	}
	for _, tt := range tests {
		_, err := File{Path: tt.path}.Open(context.Background())
		assert.ErrorIs(t, err, tt.want, tt.name)
	}
}

func TestFileOpensRandomAccess(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "a.mp4")
	require.NoError(t, os.WriteFile(p, []byte("hello world"), 0o600))
	o, err := File{Path: p}.Open(context.Background())
	require.NoError(t, err)
	defer o.Close()
	assert.Equal(t, "a.mp4", o.Name)
	assert.EqualValues(t, 11, o.Size)
	require.NotNil(t, o.At)
	b := make([]byte, 5)
	_, err = o.At.ReadAt(b, 6)
	require.NoError(t, err)
	assert.Equal(t, "world", string(b))
}

func TestReaderModes(t *testing.T) {
	t.Parallel()
	// A bytes.Reader is seekable and random access: size found, zero-copy.
	br := bytes.NewReader([]byte("0123456789"))
	_, _ = br.Seek(2, io.SeekStart)
	o, err := Reader{R: br, Size: -1}.Open(context.Background())
	require.NoError(t, err)
	assert.EqualValues(t, 8, o.Size)
	require.NotNil(t, o.At)
	b := make([]byte, 3)
	_, _ = o.At.ReadAt(b, 0)
	assert.Equal(t, "234", string(b), "offsets are relative to the current position")

	// A plain reader of unknown size stays a stream.
	o, err = Reader{R: io.MultiReader(strings.NewReader("abc")), Size: -1}.Open(context.Background())
	require.NoError(t, err)
	assert.Nil(t, o.At)
	assert.EqualValues(t, -1, o.Size)

	_, err = Reader{R: strings.NewReader(""), Size: -1}.Open(context.Background())
	assert.ErrorIs(t, err, ErrEmpty)
	_, err = Reader{R: strings.NewReader("x"), Size: -5}.Open(context.Background())
	assert.ErrorIs(t, err, ErrInvalidSize)
}
