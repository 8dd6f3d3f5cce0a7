/*
 * Batched UDP for the tracker's BEP 15 front end: one socket, read with recvmmsg into slots of
 * a buffer shared with JavaScript, answered with one sendmmsg per batch. Node's dgram costs a
 * recvmsg, a sendmsg and a trip through libuv and JavaScript per datagram; here a batch of up to
 * SLOTS datagrams costs two system calls and one call into JavaScript.
 *
 * JavaScript owns the memory (ArrayBuffers passed to open(), held by references):
 *   recvData  SLOTS x RECV_SLOT bytes: datagram i at i * RECV_SLOT
 *   recvMeta  Int32Array SLOTS x 4:    length (RECV_SLOT if cut), family 4|6, port, unused
 *   recvAddr  SLOTS x 16 bytes:        the source address (4 bytes for IPv4 and v4-mapped)
 *   sendData  SLOTS x SEND_SLOT bytes: answer j at j * SEND_SLOT
 *   sendMeta  Int32Array SLOTS x 2:    length, index of the request (its source is the target)
 * onBatch(count) answers the `count` datagrams and returns how many answers it wrote.
 * Linux only (recvmmsg/sendmmsg); elsewhere the tracker uses dgram.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <node_api.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#define SLOTS 64
#define RECV_SLOT 2048
#define SEND_SLOT 4096
/* Batches read per readable event before yielding to the event loop (fairness). */
#define MAX_ROUNDS 8

typedef struct {
  uv_poll_t poll;
  int fd;
  int closed;
  napi_env env;
  napi_ref refs[5];
  napi_ref callback;
  napi_ref self;
  napi_async_context async;
  uint8_t *recv_data;
  int32_t *recv_meta;
  uint8_t *recv_addr;
  uint8_t *send_data;
  int32_t *send_meta;
  struct mmsghdr rmsgs[SLOTS];
  struct iovec riov[SLOTS];
  struct sockaddr_storage raddr[SLOTS];
  struct mmsghdr smsgs[SLOTS];
  struct iovec siov[SLOTS];
  /* counters read by stats(): datagrams dropped because sendmmsg could not take them */
  double send_dropped;
  double send_errors;
} Sock;

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_value code, text, error;
  napi_create_string_utf8(env, err == EADDRINUSE ? "EADDRINUSE" : "EUDPMMSG", NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &text);
  napi_create_error(env, code, text, &error);
  napi_throw(env, error);
  return NULL;
}

static void *buffer_of(napi_env env, napi_value v, size_t want, napi_ref *ref) {
  void *data = NULL;
  size_t len = 0;
  bool is_ab = false;
  napi_is_arraybuffer(env, v, &is_ab);
  if (!is_ab || napi_get_arraybuffer_info(env, v, &data, &len) != napi_ok || len < want) return NULL;
  napi_create_reference(env, v, 1, ref);
  return data;
}

static void send_batch(Sock *s, int count) {
  int n = 0;
  for (int j = 0; j < count; j++) {
    int32_t len = s->send_meta[j * 2];
    int32_t src = s->send_meta[j * 2 + 1];
    if (len <= 0 || len > SEND_SLOT || src < 0 || src >= SLOTS) continue;
    s->siov[n].iov_base = s->send_data + (size_t)j * SEND_SLOT;
    s->siov[n].iov_len = (size_t)len;
    memset(&s->smsgs[n].msg_hdr, 0, sizeof(struct msghdr));
    s->smsgs[n].msg_hdr.msg_iov = &s->siov[n];
    s->smsgs[n].msg_hdr.msg_iovlen = 1;
    s->smsgs[n].msg_hdr.msg_name = &s->raddr[src];
    s->smsgs[n].msg_hdr.msg_namelen = s->rmsgs[src].msg_hdr.msg_namelen;
    n++;
  }
  int at = 0;
  while (at < n) {
    int sent = sendmmsg(s->fd, s->smsgs + at, (unsigned)(n - at), MSG_DONTWAIT);
    if (sent < 0) {
      if (errno == EINTR) continue;
      /* A full send buffer or an unreachable target: UDP may drop; skip that datagram. */
      s->send_errors++;
      s->send_dropped++;
      at++;
      continue;
    }
    at += sent;
  }
}

static int read_batch(Sock *s) {
  for (int i = 0; i < SLOTS; i++) {
    s->riov[i].iov_base = s->recv_data + (size_t)i * RECV_SLOT;
    s->riov[i].iov_len = RECV_SLOT;
    memset(&s->rmsgs[i].msg_hdr, 0, sizeof(struct msghdr));
    s->rmsgs[i].msg_hdr.msg_iov = &s->riov[i];
    s->rmsgs[i].msg_hdr.msg_iovlen = 1;
    s->rmsgs[i].msg_hdr.msg_name = &s->raddr[i];
    s->rmsgs[i].msg_hdr.msg_namelen = sizeof(struct sockaddr_storage);
  }
  int n;
  do n = recvmmsg(s->fd, s->rmsgs, SLOTS, MSG_DONTWAIT, NULL);
  while (n < 0 && errno == EINTR);
  if (n <= 0) return 0;
  for (int i = 0; i < n; i++) {
    int32_t *meta = s->recv_meta + i * 4;
    uint8_t *addr = s->recv_addr + i * 16;
    meta[0] = (s->rmsgs[i].msg_hdr.msg_flags & MSG_TRUNC) ? RECV_SLOT : (int32_t)s->rmsgs[i].msg_len;
    meta[3] = 0;
    struct sockaddr_storage *sa = &s->raddr[i];
    if (sa->ss_family == AF_INET) {
      struct sockaddr_in *a = (struct sockaddr_in *)sa;
      meta[1] = 4;
      meta[2] = ntohs(a->sin_port);
      memcpy(addr, &a->sin_addr, 4);
    } else if (sa->ss_family == AF_INET6) {
      struct sockaddr_in6 *a = (struct sockaddr_in6 *)sa;
      meta[2] = ntohs(a->sin6_port);
      if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) {
        meta[1] = 4;
        memcpy(addr, (uint8_t *)&a->sin6_addr + 12, 4);
      } else {
        meta[1] = 6;
        memcpy(addr, &a->sin6_addr, 16);
      }
    } else {
      meta[0] = 0; /* unknown family: JS skips it */
      meta[1] = 0;
    }
  }
  return n;
}

static void on_readable(uv_poll_t *poll, int status, int events) {
  Sock *s = (Sock *)poll->data;
  if (s->closed || status < 0) return;
  napi_env env = s->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value cb, arg, result, global;
  napi_get_reference_value(env, s->callback, &cb);
  napi_get_global(env, &global);
  for (int round = 0; round < MAX_ROUNDS && !s->closed; round++) {
    int n = read_batch(s);
    if (n == 0) break;
    napi_create_int32(env, n, &arg);
    napi_status st = napi_make_callback(env, s->async, global, cb, 1, &arg, &result);
    if (st == napi_pending_exception) {
      napi_value err;
      napi_get_and_clear_last_exception(env, &err);
      napi_fatal_exception(env, err);
      break;
    }
    int32_t answers = 0;
    if (st == napi_ok) napi_get_value_int32(env, result, &answers);
    if (answers > SLOTS) answers = SLOTS;
    if (answers > 0 && !s->closed) send_batch(s, answers);
    if (n < SLOTS) break;
  }
  napi_close_handle_scope(env, scope);
}

static void on_closed(uv_handle_t *h) {
  Sock *s = (Sock *)h->data;
  close(s->fd);
  free(s);
}

static void release(Sock *s) {
  if (s->closed) return;
  s->closed = 1;
  napi_env env = s->env;
  for (int i = 0; i < 5; i++) napi_delete_reference(env, s->refs[i]);
  napi_delete_reference(env, s->callback);
  napi_delete_reference(env, s->self);
  napi_async_destroy(env, s->async);
  uv_poll_stop(&s->poll);
  uv_close((uv_handle_t *)&s->poll, on_closed);
}

static void cleanup_hook(void *arg) { release((Sock *)arg); }

static Sock *unwrap(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv) {
  napi_value self;
  napi_get_cb_info(env, info, argc, argv, &self, NULL);
  Sock *s = NULL;
  if (napi_unwrap(env, self, (void **)&s) != napi_ok || s == NULL || s->closed) {
    napi_throw_error(env, "EUDPMMSG", "socket is closed");
    return NULL;
  }
  return s;
}

static napi_value sock_close(napi_env env, napi_callback_info info);
static napi_value sock_port(napi_env env, napi_callback_info info);
static napi_value sock_send_to(napi_env env, napi_callback_info info);
static napi_value sock_stats(napi_env env, napi_callback_info info);

/* open(host, port, reusePort, recvBufferSize, recvData, recvMeta, recvAddr, sendData, sendMeta, onBatch) */
static napi_value sock_open(napi_env env, napi_callback_info info) {
  size_t argc = 10;
  napi_value argv[10], self;
  napi_get_cb_info(env, info, &argc, argv, &self, NULL);
  if (argc < 10) {
    napi_throw_type_error(env, NULL, "open: 10 arguments expected");
    return NULL;
  }
  char host[64];
  size_t hlen;
  int32_t port, recvbuf;
  bool reuse;
  if (napi_get_value_string_utf8(env, argv[0], host, sizeof host, &hlen) != napi_ok ||
      napi_get_value_int32(env, argv[1], &port) != napi_ok ||
      napi_get_value_bool(env, argv[2], &reuse) != napi_ok ||
      napi_get_value_int32(env, argv[3], &recvbuf) != napi_ok || port < 0 || port > 65535) {
    napi_throw_type_error(env, NULL, "open: bad host, port, reusePort or recvBufferSize");
    return NULL;
  }
  struct sockaddr_storage ss;
  socklen_t sslen;
  memset(&ss, 0, sizeof ss);
  int family;
  if (strchr(host, ':') != NULL) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)port);
    if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1) return throw_errno(env, "open: not an IPv6 literal", EINVAL);
    family = AF_INET6;
    sslen = sizeof *a;
  } else {
    struct sockaddr_in *a = (struct sockaddr_in *)&ss;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &a->sin_addr) != 1) return throw_errno(env, "open: not an IPv4 literal", EINVAL);
    family = AF_INET;
    sslen = sizeof *a;
  }
  int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket", errno);
  int one = 1, zero = 0;
  /* Like dgram's udp6: a socket on :: also hears IPv4 (as v4-mapped addresses). */
  if (family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
  if (reuse && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, "SO_REUSEPORT", e);
  }
  if (recvbuf > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &recvbuf, sizeof recvbuf);
  if (bind(fd, (struct sockaddr *)&ss, sslen) != 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, "bind", e);
  }
  Sock *s = calloc(1, sizeof(Sock));
  if (s == NULL) {
    close(fd);
    return throw_errno(env, "open", ENOMEM);
  }
  s->fd = fd;
  s->env = env;
  s->recv_data = buffer_of(env, argv[4], (size_t)SLOTS * RECV_SLOT, &s->refs[0]);
  s->recv_meta = buffer_of(env, argv[5], (size_t)SLOTS * 4 * 4, &s->refs[1]);
  s->recv_addr = buffer_of(env, argv[6], (size_t)SLOTS * 16, &s->refs[2]);
  s->send_data = buffer_of(env, argv[7], (size_t)SLOTS * SEND_SLOT, &s->refs[3]);
  s->send_meta = buffer_of(env, argv[8], (size_t)SLOTS * 2 * 4, &s->refs[4]);
  napi_valuetype t;
  napi_typeof(env, argv[9], &t);
  if (!s->recv_data || !s->recv_meta || !s->recv_addr || !s->send_data || !s->send_meta ||
      t != napi_function) {
    for (int i = 0; i < 5; i++)
      if (s->refs[i]) napi_delete_reference(env, s->refs[i]);
    close(fd);
    free(s);
    napi_throw_type_error(env, NULL, "open: buffers too small or onBatch not a function");
    return NULL;
  }
  napi_create_reference(env, argv[9], 1, &s->callback);
  napi_value obj, name;
  napi_create_object(env, &obj);
  napi_create_reference(env, obj, 1, &s->self);
  napi_create_string_utf8(env, "udp-mmsg", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, obj, name, &s->async);
  napi_wrap(env, obj, s, NULL, NULL, NULL);
  napi_property_descriptor methods[] = {
      {"close", NULL, sock_close, NULL, NULL, NULL, napi_default, NULL},
      {"port", NULL, sock_port, NULL, NULL, NULL, napi_default, NULL},
      {"sendTo", NULL, sock_send_to, NULL, NULL, NULL, napi_default, NULL},
      {"stats", NULL, sock_stats, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, obj, 4, methods);
  uv_loop_t *loop;
  napi_get_uv_event_loop(env, (struct uv_loop_s **)&loop);
  uv_poll_init(loop, &s->poll, fd);
  s->poll.data = s;
  uv_poll_start(&s->poll, UV_READABLE, on_readable);
  napi_add_env_cleanup_hook(env, cleanup_hook, s);
  return obj;
}

static napi_value sock_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  Sock *s = unwrap(env, info, &argc, argv);
  if (s == NULL) return NULL;
  napi_remove_env_cleanup_hook(env, cleanup_hook, s);
  napi_value self;
  napi_get_cb_info(env, info, NULL, NULL, &self, NULL);
  void *ignored;
  napi_remove_wrap(env, self, &ignored);
  release(s);
  return NULL;
}

static napi_value sock_port(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  Sock *s = unwrap(env, info, &argc, NULL);
  if (s == NULL) return NULL;
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getsockname(s->fd, (struct sockaddr *)&ss, &len) != 0) return throw_errno(env, "getsockname", errno);
  int port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                      : ntohs(((struct sockaddr_in *)&ss)->sin_port);
  napi_value v;
  napi_create_int32(env, port, &v);
  return v;
}

/* sendTo(requestIndex, buffer): one answer too big for a send slot, to the request's source. */
static napi_value sock_send_to(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  Sock *s = unwrap(env, info, &argc, argv);
  if (s == NULL) return NULL;
  int32_t src;
  void *data;
  size_t len;
  bool is_buf = false;
  if (argc < 2) goto bad;
  napi_get_value_int32(env, argv[0], &src);
  napi_is_buffer(env, argv[1], &is_buf);
  if (!is_buf || src < 0 || src >= SLOTS) goto bad;
  napi_get_buffer_info(env, argv[1], &data, &len);
  if (sendto(s->fd, data, len, MSG_DONTWAIT, (struct sockaddr *)&s->raddr[src], s->rmsgs[src].msg_hdr.msg_namelen) < 0) {
    s->send_errors++;
    s->send_dropped++;
  }
  return NULL;
bad:
  napi_throw_type_error(env, NULL, "sendTo(requestIndex, buffer)");
  return NULL;
}

static napi_value sock_stats(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  Sock *s = unwrap(env, info, &argc, NULL);
  if (s == NULL) return NULL;
  napi_value obj, v;
  napi_create_object(env, &obj);
  napi_create_double(env, s->send_dropped, &v);
  napi_set_named_property(env, obj, "sendDropped", v);
  return obj;
}

static napi_value constant(napi_env env, int value) {
  napi_value v;
  napi_create_int32(env, value, &v);
  return v;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"open", NULL, sock_open, NULL, NULL, NULL, napi_default, NULL},
      {"SLOTS", NULL, NULL, NULL, NULL, constant(env, SLOTS), napi_default, NULL},
      {"RECV_SLOT", NULL, NULL, NULL, NULL, constant(env, RECV_SLOT), napi_default, NULL},
      {"SEND_SLOT", NULL, NULL, NULL, NULL, constant(env, SEND_SLOT), napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}
