import { ChannelError, type NoticeChannel } from './notice-channel.js';

/** SMS through an HTTP gateway: POST {to, text} as JSON with a bearer token; any 2xx is accepted. */
export function smsGatewayChannel(url: string, token: string | undefined, options: { timeoutMs?: number } = {}): NoticeChannel {
  return {
    async send(to, message) {
      let res: Response;
      try {
        res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
          body: JSON.stringify({ to, text: `${message.subject}\n${message.text}` }),
          signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
          redirect: 'error',
        });
      } catch {
        throw new ChannelError('sms_gateway_unreachable');
      }
      await res.body?.cancel();
      if (!res.ok) throw new ChannelError(`sms_gateway_${res.status}`);
    },
  };
}
