// SPDX-FileCopyrightText: 2026 The Pion community <https://pion.ly>
// SPDX-License-Identifier: MIT

package sctp

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// refMarshalDataChunk is the DATA / I-DATA encoding of RFC 9260 3.3.1 and RFC 8260 2.1,
// written out field by field, independent of chunkPayloadData.marshal.
func refMarshalDataChunk(p *chunkPayloadData) []byte {
	var flags byte
	if p.endingFragment {
		flags |= 1
	}
	if p.beginningFragment {
		flags |= 2
	}
	if p.unordered {
		flags |= 4
	}
	if p.immediateSack {
		flags |= 8
	}
	typ, hdr := byte(ctPayloadData), 12
	if p.iData {
		typ, hdr = byte(ctIData), 16
	}
	out := make([]byte, 4+hdr, 4+hdr+len(p.userData))
	out[0], out[1] = typ, flags
	binary.BigEndian.PutUint16(out[2:], uint16(4+hdr+len(p.userData))) //nolint:gosec // test sizes
	binary.BigEndian.PutUint32(out[4:], p.tsn)
	binary.BigEndian.PutUint16(out[8:], p.streamIdentifier)
	if p.iData {
		binary.BigEndian.PutUint32(out[12:], p.messageIdentifier)
		if p.beginningFragment {
			binary.BigEndian.PutUint32(out[16:], uint32(p.payloadType))
		} else {
			binary.BigEndian.PutUint32(out[16:], p.fragmentSequenceNumber)
		}
	} else {
		binary.BigEndian.PutUint16(out[10:], p.streamSequenceNumber)
		binary.BigEndian.PutUint32(out[12:], uint32(p.payloadType))
	}

	return append(out, p.userData...)
}

func testDataChunks() []*chunkPayloadData {
	return []*chunkPayloadData{
		{
			tsn: 7, streamIdentifier: 1, streamSequenceNumber: 9, payloadType: PayloadTypeWebRTCBinary,
			beginningFragment: true, endingFragment: true, userData: bytes.Repeat([]byte{0xab}, 1159),
		},
		{tsn: 8, streamIdentifier: 2, unordered: true, immediateSack: true, userData: []byte{1, 2, 3}},
		{
			tsn: 9, streamIdentifier: 3, iData: true, messageIdentifier: 5, beginningFragment: true,
			payloadType: PayloadTypeWebRTCString, userData: []byte("hello"),
		},
		{tsn: 10, iData: true, messageIdentifier: 5, fragmentSequenceNumber: 2, userData: []byte{}},
	}
}

// A packet's DATA chunks are written straight into it: the bytes must be what the chunk
// encoding says, padded to 4, with other chunks in between, and read back the same.
func TestPacketMarshalDataChunks(t *testing.T) {
	sack := &chunkSelectiveAck{cumulativeTSNAck: 3, advertisedReceiverWindowCredit: 1 << 20}
	sackRaw, err := sack.marshal()
	require.NoError(t, err)
	for _, doChecksum := range []bool{true, false} {
		pkt := &packet{sourcePort: 5000, destinationPort: 5001, verificationTag: 0x01020304}
		want := []byte{0x13, 0x88, 0x13, 0x89, 1, 2, 3, 4, 0, 0, 0, 0}
		for i, c := range testDataChunks() {
			if i == 2 {
				pkt.chunks = append(pkt.chunks, sack)
				want = append(want, sackRaw...)
			}
			pkt.chunks = append(pkt.chunks, c)
			want = append(want, refMarshalDataChunk(c)...)
			for len(want)%4 != 0 {
				want = append(want, 0)
			}
		}
		got, err := pkt.marshal(doChecksum)
		require.NoError(t, err)
		if doChecksum {
			binary.LittleEndian.PutUint32(want[8:], generatePacketChecksum(want))
		}
		assert.Equal(t, want, got)

		back := &packet{}
		require.NoError(t, back.unmarshal(doChecksum, got))
		require.Len(t, back.chunks, 5)
		for i, c := range testDataChunks() {
			j := i
			if i >= 2 {
				j++
			}
			d, ok := back.chunks[j].(*chunkPayloadData)
			require.True(t, ok)
			assert.Equal(t, c.tsn, d.tsn)
			assert.Equal(t, c.userData, d.userData)
			assert.Equal(t, c.beginningFragment, d.beginningFragment)
			assert.Equal(t, c.unordered, d.unordered)
		}
	}
}

// chunkPayloadData.marshal (used outside packets) still gives the same encoding.
func TestPayloadDataMarshalEncoding(t *testing.T) {
	for _, c := range testDataChunks() {
		got, err := c.marshal()
		require.NoError(t, err)
		assert.Equal(t, refMarshalDataChunk(c), got)
	}
}

// A packet of DATA chunks is one allocation: the user data is not copied through
// intermediate chunk buffers (v1.12.0 made four per DATA chunk).
func TestPacketMarshalDataAllocs(t *testing.T) {
	pkt := &packet{sourcePort: 5000, destinationPort: 5000, chunks: []chunk{testDataChunks()[0], testDataChunks()[1]}}
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := pkt.marshal(true); err != nil {
			t.Fatal(err)
		}
	})
	assert.Equal(t, 1.0, allocs)
}

// packetize copies a message once, its fragments sharing the copy: each fragment holds its
// own bytes (not the caller's buffer, which may be reused), cannot grow into the next one,
// and the allocations are one per fragment (its chunk) plus a few (the copy, the slice,
// the trace log's arguments), not two per fragment.
func TestStreamPacketizeOneCopy(t *testing.T) {
	const maxPayload = 1172
	stream := newTestPacketizingStream(t, false, maxPayload)
	stream.association.SetMaxMessageSize(1 << 20)
	msg := make([]byte, 64000)
	for i := range msg {
		msg[i] = byte(i * 7)
	}
	want := bytes.Clone(msg)
	chunks, _ := stream.packetize(msg, PayloadTypeWebRTCBinary)
	clear(msg) // the caller reuses its buffer
	fragments := (len(want) + maxPayload - 1) / maxPayload
	require.Len(t, chunks, fragments)
	var got []byte
	for i, c := range chunks {
		assert.Equal(t, len(c.userData), cap(c.userData), "fragment %d", i)
		assert.Equal(t, i == 0, c.beginningFragment)
		assert.Equal(t, i == fragments-1, c.endingFragment)
		got = append(got, c.userData...)
	}
	assert.Equal(t, want, got)

	allocs := testing.AllocsPerRun(20, func() {
		stream.packetize(want, PayloadTypeWebRTCBinary)
	})
	assert.LessOrEqual(t, allocs, float64(fragments+8)) // v1.12.0: two per fragment
}
