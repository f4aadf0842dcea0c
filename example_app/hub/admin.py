from django.contrib import admin

from hub.models import Fast, Participant

admin.site.register(Fast)
admin.site.register(Participant)
