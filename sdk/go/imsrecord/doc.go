// Alibaba Cloud Intelligent Media Services (ICE) live-stream recording as code.
package imsrecord
