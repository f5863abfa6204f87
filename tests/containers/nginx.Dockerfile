# nginx from Debian's packages, laid out as the official image (conf.d/*.conf in the
# http block, no default site): compose.yaml's nginx service where no registry can
# be reached. Tests only.
ARG BASE=localhost/feedsvc-base:bookworm
FROM ${BASE}
RUN apt-get update \
    && apt-get install -y --no-install-recommends nginx \
    && rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled/default
EXPOSE 80
CMD ["nginx", "-g", "daemon off;"]
