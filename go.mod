module github.com/rtchat/rtchat

go 1.26.8

require (
	github.com/BurntSushi/toml v1.6.0
	github.com/bwesterb/go-ristretto v1.2.4
	github.com/cloudflare/circl v1.6.5
	github.com/eclipse/paho.mqtt.golang v1.5.1
	github.com/gofrs/flock v0.13.2
	github.com/gorilla/websocket v1.5.3
	github.com/mattn/go-isatty v0.0.24
	github.com/mochi-mqtt/server/v2 v2.7.9
	github.com/pion/datachannel v1.6.3
	github.com/pion/dtls/v3 v3.1.15
	github.com/pion/ice/v4 v4.4.9
	github.com/pion/logging v0.2.4
	github.com/pion/sctp v1.12.0
	github.com/pion/sdp/v3 v3.0.20
	github.com/pion/stun/v4 v4.0.1
	github.com/pion/transport/v5 v5.1.4
	github.com/pion/turn/v5 v5.1.3
	github.com/pion/webrtc/v4 v4.2.26
	github.com/spf13/cobra v1.10.2
	github.com/spf13/pflag v1.0.9
	go.uber.org/goleak v1.3.0
	golang.org/x/crypto v0.54.0
	golang.org/x/net v0.56.0
	golang.org/x/sys v0.49.0
	golang.org/x/term v0.45.0
	golang.org/x/text v0.44.0
)

require (
	github.com/cpuguy83/go-md2man/v2 v2.0.6 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
	github.com/pion/interceptor v0.1.51 // indirect
	github.com/pion/mdns/v2 v2.2.2 // indirect
	github.com/pion/randutil v0.1.0 // indirect
	github.com/pion/rtcp v1.2.20 // indirect
	github.com/pion/rtp v1.10.6 // indirect
	github.com/pion/srtp/v3 v3.1.3 // indirect
	github.com/rs/xid v1.4.0 // indirect
	github.com/russross/blackfriday/v2 v2.1.0 // indirect
	github.com/wlynxg/anet v0.0.5 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/sync v0.25.0 // indirect
	golang.org/x/time v0.14.0 // indirect
	gopkg.in/yaml.v3 v3.0.1 // indirect
)

// A patched copy of mochi v2.7.9 (third_party/mochi-server/PATCHES.md): a deadlock fix.
replace github.com/mochi-mqtt/server/v2 => ./third_party/mochi-server

// A patched copy of pion/sctp v1.12.0 (third_party/pion-sctp/README.rtchat.md): a loss-tolerant congestion control, opt-in pacing, DATA chunks marshalled straight into the packet.
replace github.com/pion/sctp => ./third_party/pion-sctp

// A patched copy of pion/webrtc v4.2.26 (third_party/pion-webrtc/README.rtchat.md): SettingEngine.SetICECheckInterval.
replace github.com/pion/webrtc/v4 => ./third_party/pion-webrtc

// A patched copy of pion/ice v4.4.9 (third_party/pion-ice/README.rtchat.md): the controlled agent checks for renomination too.
replace github.com/pion/ice/v4 => ./third_party/pion-ice

// A patched copy of pion/turn v5.1.3 (third_party/pion-turn/README.rtchat.md): CreatePermission without blocking the write.
replace github.com/pion/turn/v5 => ./third_party/pion-turn
