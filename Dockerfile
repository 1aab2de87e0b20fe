# AWD Studio: one image for the web process and the workers.
#   docker build -t awd-studio .                      (CPU torch, as pinned in pyproject.toml)
#   docker build --build-arg TORCH_INDEX=https://download.pytorch.org/whl/cu124 -t awd-studio:gpu .
FROM python:3.11-slim

ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    AWD_DATA_DIR=/data \
    NUMBA_CACHE_DIR=/tmp/numba-cache

WORKDIR /app
COPY pyproject.toml README.md LICENSE ./
COPY awd ./awd
COPY models ./models
COPY jobstate ./jobstate
COPY backend ./backend
COPY worker ./worker
COPY frontend ./frontend
# torch from TORCH_INDEX alone (with its own dependencies): an index without this release fails the build, where
# an extra index let pip fall back to the CPU build on PyPI. The pin is pyproject.toml's (a test holds them equal).
RUN pip install --index-url "${TORCH_INDEX}" "torch==2.13.0" \
 && pip install . "psycopg[binary]>=3.1" \
 && useradd --create-home --uid 1000 awd \
 && mkdir -p /data && chown awd:awd /data

USER awd
VOLUME ["/data"]
EXPOSE 8050
# The web process; the worker service overrides the command (see docker-compose.yml).
CMD ["uvicorn", "--factory", "awd_studio.backend.app:create_app", "--host", "0.0.0.0", "--port", "8050", "--proxy-headers"]
