// SPDX-FileCopyrightText: 2026 The Pion community <https://pion.ly>
// SPDX-License-Identifier: MIT

package client

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/pion/logging"
	"github.com/pion/stun/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// starterClient is a Client that can start a transaction and answer it later: every
// CreatePermission it starts waits for a response on respond.
type starterClient struct {
	mockClient
	mu      sync.Mutex
	sent    []stun.Method // what went to the server, in order
	respond chan stun.ErrorCode
}

func (c *starterClient) record(m stun.Method) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sent = append(c.sent, m)
}

func (c *starterClient) methods() []stun.Method {
	c.mu.Lock()
	defer c.mu.Unlock()

	return append([]stun.Method(nil), c.sent...)
}

func (c *starterClient) StartTransactionWithContext(msg *stun.Message, _ net.Addr, _ context.Context) (
	func() (TransactionResult, error), error,
) {
	c.record(msg.Type.Method)

	return func() (TransactionResult, error) {
		code := <-c.respond
		res := stun.New()
		if code == 0 {
			res.Type = stun.NewType(msg.Type.Method, stun.ClassSuccessResponse)
		} else {
			res.Type = stun.NewType(msg.Type.Method, stun.ClassErrorResponse)
			if err := (stun.ErrorCodeAttribute{Code: code}).AddTo(res); err != nil {
				return TransactionResult{}, err
			}
		}
		res.WriteHeader()

		return TransactionResult{Msg: res}, nil
	}, nil
}

// With PermissionsWithoutWait a write to a new peer sends the CreatePermission request and
// then the data, before any response; a refused permission is forgotten, so that the next
// write asks again; a granted one is not asked for again.
func TestPermissionsWithoutWait(t *testing.T) {
	client := &starterClient{respond: make(chan stun.ErrorCode)}
	client.writeTo = func(data []byte, _ net.Addr) (int, error) {
		msg := &stun.Message{Raw: append([]byte(nil), data...)}
		if msg.Decode() == nil {
			client.record(msg.Type.Method)
		}

		return len(data), nil
	}
	client.performTransaction = func(*stun.Message, net.Addr, bool, context.Context) (TransactionResult, error) {
		return TransactionResult{}, errFake // refreshes, ChannelBind: not this test's concern
	}
	conn := NewUDPConn(&AllocationConfig{
		Client:                 client,
		RelayedAddr:            &net.UDPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 5000},
		ServerAddr:             &net.UDPAddr{IP: net.IPv4(10, 0, 0, 2), Port: 3478},
		Username:               stun.NewUsername("user"),
		Realm:                  stun.NewRealm("realm"),
		Integrity:              stun.NewShortTermIntegrity("pass"),
		Nonce:                  stun.NewNonce("nonce"),
		Lifetime:               time.Hour,
		Log:                    logging.NewDefaultLoggerFactory().NewLogger("test"),
		PermissionsWithoutWait: true,
	})
	defer func() { _ = conn.Close() }()
	peer := &net.UDPAddr{IP: net.IPv4(10, 0, 0, 3), Port: 6000}

	// The write returns with no response yet (respond is unbuffered and nobody sends).
	_, err := conn.WriteTo([]byte("one"), peer)
	require.NoError(t, err)
	assert.Equal(t, []stun.Method{stun.MethodCreatePermission, stun.MethodSend}, client.methods())

	client.respond <- stun.CodeForbidden
	require.Eventually(t, func() bool { _, ok := conn.permMap.find(peer); return !ok },
		5*time.Second, time.Millisecond, "a refused permission was kept")

	_, err = conn.WriteTo([]byte("two"), peer)
	require.NoError(t, err)
	client.respond <- 0
	perm, ok := conn.permMap.find(peer)
	require.True(t, ok)
	require.Eventually(t, func() bool { return perm.state() == permStatePermitted },
		5*time.Second, time.Millisecond, "a granted permission was not kept")
	_, err = conn.WriteTo([]byte("three"), peer)
	require.NoError(t, err)
	assert.Equal(t, []stun.Method{
		stun.MethodCreatePermission, stun.MethodSend,
		stun.MethodCreatePermission, stun.MethodSend,
		stun.MethodSend,
	}, client.methods())
}
