// SPDX-FileCopyrightText: 2026 The Pion community <https://pion.ly>
// SPDX-License-Identifier: MIT

// Package client implements the API for a TURN client
package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"sync"
	"time"

	"github.com/pion/stun/v4"
	"github.com/pion/turn/v5/internal/proto"
)

const (
	maxReadQueueSize              = 1024
	defaultPermRefreshInterval    = 120 * time.Second
	defaultBindingRefreshInterval = 5 * time.Minute
	defaultBindingCheckInterval   = 30 * time.Second
	maxRetryAttempts              = 3
)

const (
	timerIDRefreshAlloc int = iota
	timerIDRefreshPerms
	timerIDCheckBindings
)

type inboundData struct {
	data []byte
	from net.Addr
}

// UDPConn is the implementation of the Conn and PacketConn interfaces for UDP network connections.
// compatible with net.PacketConn and net.Conn.
type UDPConn struct {
	bindingMgr             *bindingManager   // Thread-safe
	checkBindingsTimer     *PeriodicTimer    // Thread-safe
	readCh                 chan *inboundData // Thread-safe
	closeCh                chan struct{}     // Thread-safe
	closeMutex             sync.Mutex        // Thread-safe
	bindingRefreshInterval time.Duration     // Read-only
	allocation
}

// NewUDPConn creates a new instance of UDPConn.
func NewUDPConn(config *AllocationConfig) *UDPConn {
	conn := &UDPConn{
		bindingMgr:             newBindingManager(),
		readCh:                 make(chan *inboundData, maxReadQueueSize),
		closeCh:                make(chan struct{}),
		bindingRefreshInterval: defaultBindingRefreshInterval,
		allocation: allocation{
			client:      config.Client,
			relayedAddr: config.RelayedAddr,
			serverAddr:  config.ServerAddr,
			readTimer:   time.NewTimer(time.Duration(math.MaxInt64)),
			permMap:     newPermissionMap(),
			username:    config.Username,
			realm:       config.Realm,
			integrity:   config.Integrity,
			_nonce:      config.Nonce,
			_lifetime:   config.Lifetime,
			net:         config.Net,
			log:         config.Log,
			permNoWait:  config.PermissionsWithoutWait,
		},
	}

	if config.BindingRefreshInterval != 0 {
		conn.bindingRefreshInterval = config.BindingRefreshInterval
	}

	conn.log.Debugf("Initial lifetime: %d seconds", int(conn.lifetime().Seconds()))

	conn.refreshAllocTimer = NewPeriodicTimer(
		timerIDRefreshAlloc,
		conn.onRefreshTimers,
		conn.lifetime()/2,
	)

	permRefreshInterval := defaultPermRefreshInterval
	if config.PermissionRefreshInterval != 0 {
		permRefreshInterval = config.PermissionRefreshInterval
	}

	conn.refreshPermsTimer = NewPeriodicTimer(
		timerIDRefreshPerms,
		conn.onRefreshTimers,
		permRefreshInterval,
	)

	bindingCheckInterval := defaultBindingCheckInterval
	if config.BindingCheckInterval != 0 {
		bindingCheckInterval = config.BindingCheckInterval
	}

	conn.checkBindingsTimer = NewPeriodicTimer(
		timerIDCheckBindings,
		func(timerID int) {
			for _, bound := range conn.bindingMgr.all() {
				conn.maybeBind(bound)
			}
		},
		bindingCheckInterval,
	)

	if conn.refreshAllocTimer.Start() {
		conn.log.Debugf("Started refresh allocation timer")
	}
	if conn.refreshPermsTimer.Start() {
		conn.log.Debugf("Started refresh permission timer")
	}
	if conn.checkBindingsTimer.Start() {
		conn.log.Debugf("Started check bindings timer")
	}

	return conn
}

// ReadFrom reads a packet from the connection,
// copying the payload into p. It returns the number of
// bytes copied into p and the return address that
// was on the packet.
// It returns the number of bytes read (0 <= n <= len(p))
// and any error encountered. Callers should always process
// the n > 0 bytes returned before considering the error err.
// ReadFrom can be made to time out and return
// an Error with Timeout() == true after a fixed time limit;
// see SetDeadline and SetReadDeadline.
func (c *UDPConn) ReadFrom(p []byte) (n int, addr net.Addr, err error) {
	for {
		select {
		case ibData := <-c.readCh:
			n := copy(p, ibData.data)
			if n < len(ibData.data) {
				return 0, nil, io.ErrShortBuffer
			}

			return n, ibData.from, nil

		case <-c.readTimer.C:
			return 0, nil, &net.OpError{
				Op:   "read",
				Net:  c.LocalAddr().Network(),
				Addr: c.LocalAddr(),
				Err:  newTimeoutError("i/o timeout"),
			}

		case <-c.closeCh:
			return 0, nil, &net.OpError{
				Op:   "read",
				Net:  c.LocalAddr().Network(),
				Addr: c.LocalAddr(),
				Err:  errClosed,
			}
		}
	}
}

func (a *allocation) createPermission(perm *permission, addr net.Addr) error {
	perm.mutex.Lock()
	defer perm.mutex.Unlock()

	if perm.state() == permStateIdle {
		if a.permNoWait {
			return a.requestPermission(perm, addr)
		}
		// Punch a hole! (this would block a bit..)
		if err := a.CreatePermissions(addr); err != nil {
			a.permMap.delete(addr)

			return err
		}
		perm.setState(permStatePermitted)
	}

	return nil
}

// WriteTo writes a packet with payload to addr.
// WriteTo can be made to time out and return
// an Error with Timeout() == true after a fixed time limit;
// see SetDeadline and SetWriteDeadline.
// On packet-oriented connections, write timeouts are rare.
func (c *UDPConn) WriteTo(payload []byte, addr net.Addr) (int, error) { //nolint:gocognit,cyclop
	var err error
	_, ok := addr.(*net.UDPAddr)
	if !ok {
		return 0, errUDPAddrCast
	}
	if c.isClosed() {
		return 0, &net.OpError{
			Op:   "write",
			Net:  c.LocalAddr().Network(),
			Addr: c.LocalAddr(),
			Err:  errClosed,
		}
	}

	// Check if we have a permission for the destination IP addr
	perm, ok := c.permMap.find(addr)
	if !ok {
		perm = &permission{}
		c.permMap.insert(addr, perm)
	}

	for range maxRetryAttempts {
		// c.createPermission() would block, per destination IP (, or perm),
		// until the perm state becomes "requested". Purpose of this is to
		// guarantee the order of packets (within the same perm).
		// Note that CreatePermission transaction may not be complete before
		// all the data transmission. This is done assuming that the request
		// will be most likely successful and we can tolerate some loss of
		// UDP packet (or reorder), inorder to minimize the latency in most cases.
		if err = c.createPermission(perm, addr); !errors.Is(err, errTryAgain) {
			break
		}
	}
	if err != nil {
		return 0, err
	}

	// Bind channel
	bound, ok := c.bindingMgr.findByAddr(addr)
	if !ok {
		bound = c.bindingMgr.create(addr)
	}

	//nolint:nestif
	if !bound.ok() {
		// Try to establish an initial binding with the server.
		// Writes still occur via indications meanwhile.
		c.maybeBind(bound)

		// Send data using SendIndication
		peerAddr := addr2PeerAddress(addr)
		var msg *stun.Message
		msg, err = stun.Build(
			stun.TransactionID,
			stun.NewType(stun.MethodSend, stun.ClassIndication),
			proto.Data(payload),
			peerAddr,
			stun.Fingerprint,
		)
		if err != nil {
			return 0, err
		}

		if _, err = c.client.WriteTo(msg.Raw, c.serverAddr); err != nil {
			return 0, err
		}

		return len(payload), nil
	}

	// Binding is ready beyond this point, so send over it.
	_, err = c.sendChannelData(payload, bound.number)
	if err != nil {
		return 0, err
	}

	return len(payload), nil
}

// Close closes the connection.
// Any blocked ReadFrom or WriteTo operations will be unblocked and return errors.
func (c *UDPConn) Close() error {
	c.closeMutex.Lock()
	defer c.closeMutex.Unlock()

	c.refreshAllocTimer.Stop()
	c.refreshPermsTimer.Stop()
	c.checkBindingsTimer.Stop()

	select {
	case <-c.closeCh:
		return errAlreadyClosed
	default:
		close(c.closeCh)
	}

	c.client.OnDeallocated(c.relayedAddr)

	return c.refreshAllocation(0, true /* dontWait=true */)
}

// LocalAddr returns the local network address.
func (c *UDPConn) LocalAddr() net.Addr {
	return c.relayedAddr
}

func (c *UDPConn) isClosed() bool {
	select {
	case <-c.closeCh:
		return true
	default:
		return false
	}
}

// SetDeadline sets the read and write deadlines associated
// with the connection. It is equivalent to calling both
// SetReadDeadline and SetWriteDeadline.
//
// A deadline is an absolute time after which I/O operations
// fail with a timeout (see type Error) instead of
// blocking. The deadline applies to all future and pending
// I/O, not just the immediately following call to ReadFrom or
// WriteTo. After a deadline has been exceeded, the connection
// can be refreshed by setting a deadline in the future.
//
// An idle timeout can be implemented by repeatedly extending
// the deadline after successful ReadFrom or WriteTo calls.
//
// A zero value for t means I/O operations will not time out.
func (c *UDPConn) SetDeadline(t time.Time) error {
	return c.SetReadDeadline(t)
}

// SetReadDeadline sets the deadline for future ReadFrom calls
// and any currently-blocked ReadFrom call.
// A zero value for t means ReadFrom will not time out.
func (c *UDPConn) SetReadDeadline(t time.Time) error {
	var d time.Duration
	if t.Equal(noDeadline()) {
		d = time.Duration(math.MaxInt64)
	} else {
		d = time.Until(t)
	}
	c.readTimer.Reset(d)

	return nil
}

// SetWriteDeadline sets the deadline for future WriteTo calls
// and any currently-blocked WriteTo call.
// Even if write times out, it may return n > 0, indicating that
// some of the data was successfully written.
// A zero value for t means WriteTo will not time out.
func (c *UDPConn) SetWriteDeadline(time.Time) error {
	// Write never blocks.
	return nil
}

func addr2PeerAddress(addr net.Addr) proto.PeerAddress {
	var peerAddr proto.PeerAddress
	switch a := addr.(type) {
	case *net.UDPAddr:
		peerAddr.IP = a.IP
		peerAddr.Port = a.Port
	case *net.TCPAddr:
		peerAddr.IP = a.IP
		peerAddr.Port = a.Port
	}

	return peerAddr
}

// requestPermission sends a CreatePermission request for addr and returns without waiting
// for the response (the caller holds perm.mutex). The request is written before the caller
// sends the data that needs it, on the same socket to the same server, so the server
// normally installs the permission first; if not, that datagram is lost like any other.
// The response is handled in the background: success permits, a stale nonce asks again
// (waiting), a failure forgets the permission so that a later write asks again.
func (a *allocation) requestPermission(perm *permission, addr net.Addr) error {
	starter, ok := a.client.(transactionStarter)
	if !ok {
		// A Client that cannot send without waiting: wait as before.
		if err := a.CreatePermissions(addr); err != nil {
			a.permMap.delete(addr)

			return err
		}
		perm.setState(permStatePermitted)

		return nil
	}
	msg, err := a.createPermissionsRequest(addr)
	if err != nil {
		return err
	}
	wait, err := starter.StartTransactionWithContext(msg, a.serverAddr, context.TODO())
	if err != nil {
		a.permMap.delete(addr)

		return err
	}
	perm.setState(permStateRequested)
	go func() {
		trRes, err := wait()
		if err == nil {
			err = a.createPermissionsResult(trRes.Msg)
		}
		for i := 0; errors.Is(err, errTryAgain) && i < maxRetryAttempts; i++ {
			err = a.CreatePermissions(addr)
		}
		perm.mutex.Lock()
		defer perm.mutex.Unlock()
		if err != nil {
			a.log.Debugf("CreatePermission for %s failed: %s", addr, err)
			perm.setState(permStateIdle)
			a.permMap.delete(addr)

			return
		}
		perm.setState(permStatePermitted)
	}()

	return nil
}

// CreatePermissions Issues a CreatePermission request for the supplied addresses
// as described in https://datatracker.ietf.org/doc/html/rfc5766#section-9
func (a *allocation) CreatePermissions(addrs ...net.Addr) error {
	msg, err := a.createPermissionsRequest(addrs...)
	if err != nil {
		return err
	}

	trRes, err := a.client.PerformTransactionWithContext(msg, a.serverAddr, false, context.TODO())
	if err != nil {
		return err
	}

	return a.createPermissionsResult(trRes.Msg)
}

func (a *allocation) createPermissionsRequest(addrs ...net.Addr) (*stun.Message, error) {
	setters := []stun.Setter{
		stun.TransactionID,
		stun.NewType(stun.MethodCreatePermission, stun.ClassRequest),
	}

	for _, addr := range addrs {
		setters = append(setters, addr2PeerAddress(addr))
	}

	setters = append(setters,
		a.username,
		a.realm,
		a.nonce(),
		a.integrity,
		stun.Fingerprint)

	return stun.Build(setters...)
}

func (a *allocation) createPermissionsResult(res *stun.Message) error {
	if res.Type.Class == stun.ClassErrorResponse {
		var code stun.ErrorCodeAttribute
		if err := code.GetFrom(res); err == nil {
			if code.Code == stun.CodeStaleNonce {
				a.setNonceFromMsg(res)

				return errTryAgain
			}

			turnError := &stun.TurnError{
				StunMessageType: res.Type,
				ErrorCodeAttr:   code,
			}

			return turnError
		}

		return fmt.Errorf("%s", res.Type) //nolint // dynamic errors
	}

	return nil
}

// HandleInbound passes inbound data in UDPConn.
func (c *UDPConn) HandleInbound(data []byte, from net.Addr) {
	// Copy data
	copied := make([]byte, len(data))
	copy(copied, data)

	select {
	case c.readCh <- &inboundData{data: copied, from: from}:
	default:
		c.log.Warnf("Receive buffer full")
	}
}

// FindAddrByChannelNumber returns a peer address associated with the
// channel number on this UDPConn.
func (c *UDPConn) FindAddrByChannelNumber(chNum uint16) (net.Addr, bool) {
	b, ok := c.bindingMgr.findByNumber(chNum)
	if !ok {
		return nil, false
	}

	return b.addr, true
}

// FindChannelNumberByAddr returns a channel number associated with the
// peer address on this UDPConn.
func (c *UDPConn) FindChannelNumberByAddr(addr net.Addr) (uint16, bool) {
	udpAddr, ok := addr.(*net.UDPAddr)
	if !ok || udpAddr == nil {
		return 0, false
	}

	b, ok := c.bindingMgr.findByAddr(udpAddr)
	if !ok {
		return 0, false
	}

	return b.number, true
}

// IsChannelActive reports whether WriteTo sends payloads to the channel's peer as ChannelData
// rather than wrapping them into Send indications. A closed connection has no active channel.
func (c *UDPConn) IsChannelActive(chNum uint16) bool {
	if c.isClosed() {
		return false
	}

	b, ok := c.bindingMgr.findByNumber(chNum)

	return ok && b.ok()
}

func (c *UDPConn) maybeBind(bound *binding) {
	// Block only callers with the same binding until
	// the binding transaction has been complete
	bound.muBind.Lock()
	defer bound.muBind.Unlock()

	startState, ok := c.startBinding(bound)
	if !ok {
		return
	}

	// Establish binding with the server if eligible
	// with regard to cases right above.
	go c.bindChannel(bound, startState)
}

func (c *UDPConn) startBinding(bound *binding) (bindingState, bool) {
	startState := bound.state()
	switch {
	case startState == bindingStateIdle || startState == bindingStateUnknown:
		bound.setState(bindingStateRequest)
	case startState == bindingStateReadyUnknown:
		bound.setState(bindingStateRefresh)
	case startState == bindingStateReady && time.Since(bound.refreshedAt()) > c.bindingRefreshInterval:
		bound.setState(bindingStateRefresh)
	default:
		return startState, false
	}

	return startState, true
}

func (c *UDPConn) bindChannel(bound *binding, startState bindingState) {
	var err error
	for range maxRetryAttempts {
		if err = c.bind(bound); !errors.Is(err, errTryAgain) {
			break
		}
	}
	if err != nil {
		c.handleBindChannelError(bound, startState, err)

		return
	}

	bound.setRefreshedAt(time.Now())
	bound.setState(bindingStateReady)
}

func (c *UDPConn) handleBindChannelError(bound *binding, startState bindingState, err error) {
	if c.recoverChannelBindBadRequest(bound, startState, err) {
		return
	}

	c.log.Warnf("Failed to bind channel %d: %s", bound.number, err)
	if errors.Is(err, errChannelBindTransactionFailed) {
		if bindingStateWasReady(startState) {
			bound.setState(bindingStateReadyUnknown)
		} else {
			bound.setState(bindingStateUnknown)
		}

		return
	}

	bound.setState(bindingStateFailed)
	if errors.Is(err, errChannelBindBadRequest) {
		c.closeAfterChannelBindBadRequest(bound)
	}
}

func (c *UDPConn) recoverChannelBindBadRequest(bound *binding, startState bindingState, err error) bool {
	if !errors.Is(err, errChannelBindBadRequest) {
		return false
	}
	if !bindingStateWasReady(startState) {
		return false
	}

	// If this binding was previously confirmed, a refresh transaction failure or
	// unexpected 400 does not prove that the saved channel mapping is wrong. The
	// server may still have the old binding, and switching channels would be
	// worse because it can trigger "same peer with different channel number" (like what we get from Coturn).
	// This Keep the saved mapping usable and retry refresh later.
	c.log.Warnf(
		"ChannelBind returned 400 for saved binding %s on channel %d; keeping binding ready",
		bound.addr,
		bound.number,
	)
	bound.setState(bindingStateReady)

	return true
}

func bindingStateWasReady(state bindingState) bool {
	return state == bindingStateReady || state == bindingStateReadyUnknown
}

func (c *UDPConn) closeAfterChannelBindBadRequest(bound *binding) {
	c.log.Warnf(
		"ChannelBind rejected with 400 for %s on channel %d; closing TURN allocation",
		bound.addr,
		bound.number,
	)

	if err := c.Close(); err != nil && !errors.Is(err, errAlreadyClosed) {
		c.log.Warnf("Failed to close TURN allocation after ChannelBind 400: %s", err)
	}
}

func (c *UDPConn) bind(bound *binding) error {
	setters := []stun.Setter{
		stun.TransactionID,
		stun.NewType(stun.MethodChannelBind, stun.ClassRequest),
		addr2PeerAddress(bound.addr),
		proto.ChannelNumber(bound.number),
		c.username,
		c.realm,
		c.nonce(),
		c.integrity,
		stun.Fingerprint,
	}

	msg, err := stun.Build(setters...)
	if err != nil {
		return err
	}

	trRes, err := c.client.PerformTransactionWithContext(msg, c.serverAddr, false, context.TODO())
	if err != nil {
		return fmt.Errorf("%w: %w", errChannelBindTransactionFailed, err)
	}

	res := trRes.Msg
	if res.Type.Class == stun.ClassErrorResponse {
		return c.handleChannelBindErrorResponse(res)
	}

	c.log.Debugf("Channel binding successful: %s %d", bound.addr, bound.number)

	// Success.
	return nil
}

func (c *UDPConn) handleChannelBindErrorResponse(res *stun.Message) error {
	var code stun.ErrorCodeAttribute
	if err := code.GetFrom(res); err != nil {
		return fmt.Errorf("%w: unexpected response type %s", errCannotBindChannel, res.Type) // nolint:err113
	}

	switch code.Code {
	case stun.CodeStaleNonce:
		c.setNonceFromMsg(res)

		return errTryAgain
	case stun.CodeBadRequest:
		return fmt.Errorf("%w: %w: received error %d", errCannotBindChannel, errChannelBindBadRequest, code.Code)
	default:
		return fmt.Errorf("%w: received error %d", errCannotBindChannel, code.Code) // nolint:err113
	}
}

func (c *UDPConn) sendChannelData(data []byte, chNum uint16) (int, error) {
	chData := &proto.ChannelData{
		Data:   data,
		Number: proto.ChannelNumber(chNum),
	}
	chData.Encode()
	_, err := c.client.WriteTo(chData.Raw, c.serverAddr)
	if err != nil {
		return 0, err
	}

	return len(data), nil
}
