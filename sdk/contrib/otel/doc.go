// Package traciumotel bridges OpenTelemetry and Tracium.
package traciumotel
