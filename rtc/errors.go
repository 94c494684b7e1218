// Package rtc is rtchat's core: it meets peers on an MQTT topic, connects to them over
// WebRTC, verifies who they are, and carries chat, questions and byte streams.
package rtc
