package pair

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// FuzzDecode: any payload of the room topic either decodes to a message that keeps the
// rules DecodeData promises, or is refused with an error; never a panic.
func FuzzDecode(f *testing.F) {
	id := "00112233445566778899aabbccddeeff"
	seeds := []Message{
		{T: THello, Plate: 7, From: id, Sid: bytes.Repeat([]byte{1}, 16), Y: bytes.Repeat([]byte{2}, 32)},
		{T: TReply, Plate: 7, From: id, To: id, Y: bytes.Repeat([]byte{2}, 32), Box: bytes.Repeat([]byte{3}, 40)},
		{T: TConfirm, Plate: 7, From: id, To: id, Box: bytes.Repeat([]byte{3}, 40)},
		{T: TDone, Plate: 999, From: id, To: id, Box: bytes.Repeat([]byte{3}, 17)},
		{T: TAbort, Plate: 1, From: id, Reason: ReasonWrongCode},
	}
	for _, m := range seeds {
		p, err := encode(m, time.Unix(0, 0))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(p)
	}
	f.Add([]byte(`{"sender":"x","subtopic":"rtchatPair","data":{"v":1,"t":"hello","plate":7}}`))
	f.Add([]byte(`{"sender":"x","subtopic":"connect","data":{}}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		m, err := Decode(payload)
		if err != nil {
			return
		}
		if m.V != Version || m.Plate < 1 || m.Plate > MaxPlate || !isID(m.From) {
			t.Fatalf("accepted %+v", m)
		}
		switch m.T {
		case THello:
			if len(m.Sid) != idLen || len(m.Y) != pointSize || m.Box != nil {
				t.Fatalf("hello %+v", m)
			}
		case TReply, TConfirm, TDone:
			if !isID(m.To) || len(m.Box) < boxOver || len(m.Box) > maxBox {
				t.Fatalf("%s %+v", m.T, m)
			}
		case TAbort:
			if m.Reason != ReasonWrongCode && m.Reason != ReasonExpired && m.Reason != ReasonCrowded {
				t.Fatalf("abort %+v", m)
			}
		default:
			t.Fatalf("type %q accepted", m.T)
		}
		// What was accepted encodes and decodes to itself.
		again, err := encode(m, time.Unix(0, 0))
		if err != nil {
			t.Fatal(err)
		}
		m2, err := Decode(again)
		if err != nil {
			t.Fatalf("re-encoded message refused: %v", err)
		}
		a, _ := json.Marshal(m)
		b, _ := json.Marshal(m2)
		if !bytes.Equal(a, b) {
			t.Fatalf("round trip: %s != %s", a, b)
		}
	})
}
