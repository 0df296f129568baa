"""shipping pages, by theme: ``carriers`` (carriers, services, rates, holidays), ``picking``
(pick queue, pick lists), ``packing`` (the pack screen), ``shipments`` (list, detail, label,
exception list), ``trips`` (vehicles, delivery trips), ``returns``, ``panels`` (the order and
customer pages' shipment panels) and ``webhooks`` (carriers' tracking updates)."""
