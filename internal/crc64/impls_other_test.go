//go:build !amd64 || purego

package crc64

func implementations() []implementation {
	return []implementation{
		{name: "dispatch", fn: Update},
		{name: "generic", fn: updateGeneric, delegates: true},
	}
}
