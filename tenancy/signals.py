from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from tenancy.middleware import forget_host
from tenancy.models import Domain, Tenant


@receiver([post_save, post_delete], sender=Tenant)
def forget_tenant_hosts(sender: type[Tenant], instance: Tenant, **kwargs: Any) -> None:
    for domain in Domain.objects.filter(tenant=instance).values_list("domain", flat=True):
        forget_host(domain)


@receiver([post_save, post_delete], sender=Domain)
def forget_domain_host(sender: type[Domain], instance: Domain, **kwargs: Any) -> None:
    forget_host(instance.domain)
