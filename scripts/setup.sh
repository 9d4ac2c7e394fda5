#!/usr/bin/env bash
# Install rtseg into ./.venv from a clean checkout: Debian packages first (when root), then pip.
# Usage: bash scripts/setup.sh          # the application
#        bash scripts/setup.sh test     # plus what the test suite needs
set -euo pipefail
cd "$(dirname "$0")/.."

debian_packages=()
python3 -c "import ensurepip" 2>/dev/null || debian_packages+=(python3-venv)
# opencv-python links against libGL and GLib.
ldconfig -p | grep -q 'libGL.so.1 ' || debian_packages+=(libgl1)
ldconfig -p | grep -q 'libglib-2.0.so.0 ' || debian_packages+=(libglib2.0-0)
if [ "${1:-}" = test ]; then
  # The live-view test drives a real browser; the RTSP tests run GStreamer's RTSP server
  # (under Debian's python3); the damaged-input tests build their files and count frames with
  # ffmpeg/ffprobe; the preview-window tests run a real X server (Xvfb), find windows and press
  # keys in them (x11-utils, xdotool) and grab the screen (ffmpeg); the --mqtt tests start,
  # kill and restart a real MQTT broker (mosquitto).
  for package in chromium ffmpeg mosquitto python3-gi gir1.2-gst-rtsp-server-1.0 \
      gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad \
      gstreamer1.0-plugins-ugly gstreamer1.0-libav xvfb x11-utils xdotool; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' \
      || debian_packages+=("$package")
  done
fi
if [ ${#debian_packages[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "setup: please install these system packages first: ${debian_packages[*]}" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${debian_packages[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
if [ "${1:-}" = test ]; then
  .venv/bin/python -m pip install -q -e ".[test]"
else
  .venv/bin/python -m pip install -q -e .
fi
