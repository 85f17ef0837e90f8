import { collection } from '../kit/collection';

/** A notification as sent (key: notificationId). */
export interface NotificationRecord {
  readonly notificationId: string;
  readonly orderId: string;
  readonly customerId: string;
  readonly email: string;
  readonly template: 'order-confirmation' | 'order-cancelled';
  readonly sentAt: string;
}

/** Keyed by notificationId. */
export const notifications = collection<NotificationRecord>('notifications.sent');
