#!/usr/bin/env bash
# Install the offline data sources the course needs that pip cannot provide:
# Fashion-MNIST from Debian's dataset-fashion-mnist package. Safe to run again.
set -u
keras_dir="${KERAS_HOME:-$HOME/.keras}/datasets/fashion-mnist"
debian_dir=/usr/share/datasets/fashion-mnist
if [ -f "$debian_dir/train-images-idx3-ubyte.gz" ] || [ -f "$keras_dir/train-images-idx3-ubyte.gz" ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "Fashion-MNIST: no apt-get here; the notebooks will download it through Keras when online."
  exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    echo "Fashion-MNIST: to use it offline run 'sudo apt-get install dataset-fashion-mnist' (otherwise Keras downloads it when online)."
    exit 0
  fi
fi
echo "Installing Debian package dataset-fashion-mnist (31 MB) ..."
if ! $SUDO apt-get install -y -qq dataset-fashion-mnist >/dev/null 2>&1; then
  $SUDO apt-get update -qq >/dev/null 2>&1
  $SUDO apt-get install -y -qq dataset-fashion-mnist >/dev/null 2>&1 \
    || echo "Fashion-MNIST: apt-get install dataset-fashion-mnist failed; Keras will try to download it when online."
fi
exit 0
