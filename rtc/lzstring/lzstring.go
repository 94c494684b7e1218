// Package lzstring is LZ-String 1.4.4's compressToUint8Array/decompressFromUint8Array,
// byte for byte as the npm package does it, over UTF-16 code units.
package lzstring

import "errors"

// CompressToUint8Array is lz-string's compressToUint8Array.
func CompressToUint8Array(s string) []byte { panic("TODO") }

// DecompressFromUint8Array is lz-string's decompressFromUint8Array with a cap on the
// decompressed size in UTF-16 units (LZ expansion is otherwise unbounded).
func DecompressFromUint8Array(b []byte, maxUnits int) (string, error) {
	return "", errors.New("TODO")
}
