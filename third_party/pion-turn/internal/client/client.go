// SPDX-FileCopyrightText: 2026 The Pion community <https://pion.ly>
// SPDX-License-Identifier: MIT

// Package client implements the API for a TURN client
package client

import (
	"context"
	"net"

	"github.com/pion/stun/v4"
)

// Client is an interface for the public turn.Client in order to break cyclic dependencies.
type Client interface {
	WriteTo(data []byte, to net.Addr) (int, error)
	PerformTransactionWithContext(msg *stun.Message, to net.Addr, dontWait bool, ctx context.Context) (TransactionResult, error)
	OnDeallocated(relayedAddr net.Addr)
}

// transactionStarter is a Client that can send a request and wait for its result later
// (turn.Client): a permission requested without waiting goes out before the data that
// needs it.
type transactionStarter interface {
	StartTransactionWithContext(msg *stun.Message, to net.Addr, ctx context.Context) (
		wait func() (TransactionResult, error), err error)
}
