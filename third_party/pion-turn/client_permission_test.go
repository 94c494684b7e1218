// SPDX-FileCopyrightText: 2026 The Pion community <https://pion.ly>
// SPDX-License-Identifier: MIT

package turn

import (
	"net"
	"testing"
	"time"

	"github.com/pion/logging"
	"github.com/pion/stun/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// permissionResponseDropConn is a TURN server's socket that never answers a CreatePermission
// (the server installs the permission, its response is lost) and ignores ChannelBind
// requests, so that only CreatePermission can let data through.
type permissionResponseDropConn struct {
	net.PacketConn
}

func (c *permissionResponseDropConn) ReadFrom(p []byte) (n int, addr net.Addr, err error) {
	for {
		n, addr, err = c.PacketConn.ReadFrom(p)
		msg := &stun.Message{Raw: p[:n]}
		if err == nil && msg.Decode() == nil && msg.Type.Method == stun.MethodChannelBind {
			continue
		}

		return n, addr, err
	}
}

func (c *permissionResponseDropConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	msg := &stun.Message{Raw: append([]byte(nil), p...)}
	if msg.Decode() == nil && msg.Type.Method == stun.MethodCreatePermission {
		return len(p), nil
	}

	return c.PacketConn.WriteTo(p, addr)
}

type permissionsWithoutWaitFactory struct{ logging.LoggerFactory }

func (permissionsWithoutWaitFactory) TURNPermissionsWithoutWait() bool { return true }

// TestClientPermissionsWithoutWait: the first datagram to a new peer goes out right behind
// its CreatePermission request, without waiting for the response. The server here never
// answers CreatePermission, so a client that waits for the response before sending never
// delivers the datagram (its write blocks until the transaction times out, then fails).
func TestClientPermissionsWithoutWait(t *testing.T) {
	for name, cfg := range map[string]func(*ClientConfig){
		"config": func(c *ClientConfig) { c.PermissionsWithoutWait = true },
		"loggerFactory": func(c *ClientConfig) {
			c.LoggerFactory = permissionsWithoutWaitFactory{logging.NewDefaultLoggerFactory()}
		},
	} {
		t.Run(name, func(t *testing.T) {
			udpListener, err := net.ListenPacket("udp4", "127.0.0.1:0") // nolint: noctx
			require.NoError(t, err)
			server, err := NewServer(ServerConfig{
				AuthHandler: func(ra *RequestAttributes) (userID string, key []byte, ok bool) {
					return ra.Username, GenerateAuthKey(ra.Username, ra.Realm, "pass"), true
				},
				PacketConnConfigs: []PacketConnConfig{{
					PacketConn: &permissionResponseDropConn{udpListener},
					RelayAddressGenerator: &RelayAddressGeneratorStatic{
						RelayAddress: net.ParseIP("127.0.0.1"),
						Address:      "127.0.0.1",
					},
				}},
				Realm: "pion.ly",
			})
			require.NoError(t, err)
			defer func() { assert.NoError(t, server.Close()) }()

			conn, err := net.ListenPacket("udp4", "127.0.0.1:0") // nolint: noctx
			require.NoError(t, err)
			defer func() { _ = conn.Close() }()
			config := &ClientConfig{
				Conn:           conn,
				TURNServerAddr: udpListener.LocalAddr().String(),
				Username:       "foo",
				Password:       "pass",
			}
			cfg(config)
			client, err := NewClient(config)
			require.NoError(t, err)
			defer client.Close()
			require.NoError(t, client.Listen())
			relayConn, err := client.Allocate()
			require.NoError(t, err)
			defer func() { _ = relayConn.Close() }()

			peer, err := net.ListenPacket("udp4", "127.0.0.1:0") // nolint: noctx
			require.NoError(t, err)
			defer func() { _ = peer.Close() }()

			written := make(chan error, 1)
			go func() {
				_, err := relayConn.WriteTo([]byte("first"), peer.LocalAddr())
				written <- err
			}()
			require.NoError(t, peer.SetReadDeadline(time.Now().Add(5*time.Second)))
			buf := make([]byte, 64)
			n, from, err := peer.ReadFrom(buf)
			require.NoError(t, err, "the first datagram never reached the peer")
			assert.Equal(t, "first", string(buf[:n]))
			assert.Equal(t, relayConn.LocalAddr().String(), from.String())
			assert.NoError(t, <-written)
		})
	}
}
