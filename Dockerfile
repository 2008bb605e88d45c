FROM python:3.11-slim

WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY schemas ./schemas
COPY src ./src
RUN pip install --no-cache-dir -c constraints.txt . \
    && useradd --system --home-dir /app epcis \
    && mkdir /data && chown epcis /data
USER epcis

# The embedded store lives here when no EPCIS_MONGODB_URI is given.
ENV EPCIS_DATA_DIR=/data
VOLUME /data
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=5 \
    CMD ["python", "-c", "import urllib.request as r; r.urlopen(r.Request('http://127.0.0.1:8000/capture', method='OPTIONS'), timeout=4)"]
CMD ["epcis-repo", "serve", "--host", "0.0.0.0", "--port", "8000"]
