import type { Customer } from '../events/common';
import type { HandlerContext, ServiceDefinition } from '../kit/service-definition';
import { notifications, type NotificationRecord } from './state';

/** The notifications service: tells the customer the outcome (confirmation on shipment, notice on cancel). */
export function notificationsService(): ServiceDefinition {
  return {
    name: 'notifications',
    handlers: {
      ShipmentScheduled: async (event, context) => {
        await notify(context, event.payload.orderId, event.payload.customer, 'order-confirmation');
      },
      OrderCancelled: async (event, context) => {
        await notify(context, event.payload.orderId, event.payload.customer, 'order-cancelled');
      },
    },
  };
}

async function notify(
  context: HandlerContext,
  orderId: string,
  customer: Customer,
  template: NotificationRecord['template'],
): Promise<void> {
  const notificationId = context.newId();
  await context.tx.put(notifications, notificationId, {
    notificationId,
    orderId,
    customerId: customer.customerId,
    email: customer.email,
    template,
    sentAt: context.now().toISOString(),
  });
  context.emit('CustomerNotified', {
    orderId,
    customerId: customer.customerId,
    email: customer.email,
    template,
  });
}
