from __future__ import annotations

from django.db import models


class AuditEvent(models.Model):
    """One security or settings event. Rows are append-only: the database refuses changes."""

    class Action(models.TextChoices):
        SIGNED_IN = "signed_in", "Signed in"
        SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
        SIGNED_OUT = "signed_out", "Signed out"
        SIGNED_UP = "signed_up", "Signed up"
        PASSWORD_RESET = "password_reset", "Password reset"
        SECOND_FACTOR_ENROLLED = "2fa_enrolled", "Second factor enrolled"
        SECOND_FACTOR_PASSED = "2fa_passed", "Second factor passed"
        SECOND_FACTOR_FAILED = "2fa_failed", "Second factor failed"
        RECOVERY_CODE_USED = "recovery_code_used", "Recovery code used"
        API_TOKEN_ISSUED = "api_token_issued", "API token issued"
        API_TOKEN_REFUSED = "api_token_refused", "API token refused"
        ROLE_CHANGED = "role_changed", "Role changed"
        STAFF_INVITED = "staff_invited", "Staff member invited"
        INVITATION_ACCEPTED = "invitation_accepted", "Invitation accepted"
        TENANT_PROVISIONED = "tenant_provisioned", "Tenant provisioned"
        TENANT_SUSPENDED = "tenant_suspended", "Tenant suspended"
        TENANT_RESUMED = "tenant_resumed", "Tenant resumed"
        ACCOUNT_CLOSED = "account_closed", "Account closed"
        DATA_EXPORTED = "data_exported", "Personal data exported"
        INVITATION_REVOKED = "invitation_revoked", "Invitation revoked"
        STAFF_DEACTIVATED = "staff_deactivated", "Staff member deactivated"
        STAFF_REACTIVATED = "staff_reactivated", "Staff member reactivated"
        BRANDING_CHANGED = "branding_changed", "Branding changed"
        CATEGORY_SAVED = "category_saved", "Category saved"
        CATEGORY_DELETED = "category_deleted", "Category deleted"
        ROOT_CAUSE_SAVED = "root_cause_saved", "Root cause saved"
        TEAM_SAVED = "team_saved", "Team saved"
        SLA_POLICY_SAVED = "sla_policy_saved", "SLA target saved"
        SLA_POLICY_REMOVED = "sla_policy_removed", "SLA target removed"
        BUSINESS_HOURS_CHANGED = "business_hours_changed", "Business hours changed"
        CLOSURE_ADDED = "closure_added", "Closure added"
        CLOSURE_REMOVED = "closure_removed", "Closure removed"
        TENANT_PROFILE_CHANGED = "tenant_profile_changed", "Regulatory profile changed"
        COMPLAINT_POLICY_CHANGED = "complaint_policy_changed", "Complaint policy changed"
        SECURITY_POLICY_CHANGED = "security_policy_changed", "Two-factor policy changed"
        LETTER_TEMPLATE_SAVED = "letter_template_saved", "Letter wording saved"
        LETTER_TEMPLATE_RESET = "letter_template_reset", "Letter wording reset"
        SECOND_FACTOR_LOCKED = "2fa_locked", "Sign-in locked after wrong codes"
        SECOND_FACTOR_UNLOCKED = "2fa_unlocked", "Sign-in unlocked"
        SECOND_FACTOR_RESET = "2fa_reset", "Second factor removed"
        CREDENTIALS_REVOKED = "credentials_revoked", "Signed out everywhere"
        CREDENTIAL_REVOKED = "credential_revoked", "Session or token revoked"
        REFRESH_TOKEN_REUSED = "refresh_token_reused", "Used refresh token presented again"
        INTAKE_ACCOUNT_RECLAIMED = "intake_account_reclaimed", "Unconfirmed sign-up replaced"
        CONTACT_DETAILS_CHANGED = "contact_details_changed", "Contact details changed"
        CUSTOMER_NOTE_ADDED = "customer_note_added", "Note about a customer added"
        API_CLIENT_CREATED = "api_client_created", "API client created"
        API_CLIENT_REVOKED = "api_client_revoked", "API client revoked"
        API_CLIENT_CALL = "api_client_call", "API call by a client"
        WEBHOOK_CREATED = "webhook_created", "Webhook endpoint added"
        WEBHOOK_REMOVED = "webhook_removed", "Webhook endpoint removed"
        WEBHOOK_DISABLED = "webhook_disabled", "Webhook endpoint disabled"
        WEBHOOK_ENABLED = "webhook_enabled", "Webhook endpoint enabled"
        WEBHOOK_REDELIVERED = "webhook_redelivered", "Webhook delivery sent again"

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    action = models.CharField(max_length=32, choices=Action.choices)
    # The actor is copied, not linked: the record outlives accounts and must never change.
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_email = models.CharField(max_length=254, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    target = models.CharField(max_length=200, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["action", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.actor_email}"
