'use strict';
// Names and switches from the environment; every broker name hangs off SENSOR_ALERTS_NS.

function settings() {
  const ns = process.env.SENSOR_ALERTS_NS || 'sensor-alerts';
  return {
    url: process.env.AMQP_URL || 'amqp://guest:guest@127.0.0.1:5672',
    ns,
    telemetry: `${ns}.telemetry`, // topic: reading.recorded.<sensor>, reading.accepted.<sensor>, page.sent.<sensor>
    alerts: `${ns}.alerts`, // headers: routed on severity and site, not on a routing key
    thresholdsQueue: `${ns}.thresholds`,
    pagerQueue: `${ns}.pager`,
    criticalCelsius: Number(process.env.CRITICAL_CELSIUS || 80),
    bugs: (process.env.BUGS ?? 'drop-while-disconnected').split(',').filter((bug) => bug && bug !== 'none'),
  };
}

function log(service, line) {
  process.stdout.write(`[${service}] ${line}\n`);
}

module.exports = { settings, log };
