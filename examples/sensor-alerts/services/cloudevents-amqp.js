'use strict';
// CloudEvents over AMQP 0-9-1, after the CloudEvents AMQP protocol binding (the SDK has HTTP, Kafka and MQTT
// bindings, not this one). Binary mode: the data is the body, every other attribute an application header
// `cloudEvents_<name>`, datacontenttype the content-type property. Structured mode: the whole event as JSON with
// content-type application/cloudevents+json.
const { CloudEvent } = require('cloudevents');

const STRUCTURED = 'application/cloudevents+json';
const PREFIX = 'cloudEvents_';

/** Body and AMQP properties of `event` in binary mode; `headers` are extra routing headers (headers exchanges). */
function toBinary(event, headers = {}) {
  const attributes = {};
  for (const [name, value] of Object.entries(event.toJSON())) {
    if (name === 'data' || name === 'data_base64' || name === 'datacontenttype' || value === undefined)
      continue;
    attributes[`${PREFIX}${name}`] = String(value);
  }
  return {
    body: Buffer.from(JSON.stringify(event.data)),
    properties: {
      contentType: event.datacontenttype || 'application/json',
      headers: { ...headers, ...attributes },
      persistent: true,
    },
  };
}

/** Body and AMQP properties of `event` in structured mode. */
function toStructured(event, headers = {}) {
  return {
    body: Buffer.from(JSON.stringify(event.toJSON())),
    properties: { contentType: `${STRUCTURED}; charset=utf-8`, headers, persistent: true },
  };
}

/** The CloudEvent an AMQP message carries, in either mode; throws (ValidationError) on one that is not valid. */
function fromMessage(message) {
  const contentType = message.properties.contentType || '';
  if (contentType.startsWith(STRUCTURED)) return new CloudEvent(JSON.parse(message.content.toString('utf8')));
  const attributes = {};
  for (const [name, value] of Object.entries(message.properties.headers || {})) {
    if (name.startsWith(PREFIX)) attributes[name.slice(PREFIX.length)] = String(value);
    else if (name.startsWith('cloudEvents:')) attributes[name.slice('cloudEvents:'.length)] = String(value);
  }
  const text = message.content.toString('utf8');
  const data = contentType.includes('json') ? JSON.parse(text) : text;
  return new CloudEvent({ ...attributes, datacontenttype: contentType || undefined, data });
}

module.exports = { toBinary, toStructured, fromMessage };
